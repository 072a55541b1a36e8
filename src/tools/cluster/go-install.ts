/**
 * `go install <package>@<version>` into a scratch GOBIN, then the binary moved into the project
 * cache under the name the caller gives, atomically (a concurrent run never sees half a file).
 * How long it took is logged: the first build on two cores takes minutes.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export class GoInstallError extends Error {
  override name = 'GoInstallError';
}

export async function goInstall(opts: {
  /** e.g. go.temporal.io/server/cmd/server */
  pkg: string;
  version: string;
  /** Where the binary goes, under its final name. */
  dest: string;
  goBinary?: string;
  log: (line: string) => void;
}): Promise<void> {
  const go = opts.goBinary ?? 'go';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-go-install-'));
  const started = Date.now();
  opts.log(`building ${path.basename(opts.dest)}: go install ${opts.pkg}@${opts.version} ...`);
  try {
    await execFileP(go, ['install', `${opts.pkg}@${opts.version}`], {
      timeout: 60 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, GOBIN: work, GOFLAGS: '-mod=mod' },
      cwd: work,
    });
    // go install names the binary after its package directory.
    const built = path.join(work, path.basename(opts.pkg));
    fs.mkdirSync(path.dirname(opts.dest), { recursive: true });
    const tmp = `${opts.dest}.${process.pid}.tmp`;
    fs.copyFileSync(built, tmp);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, opts.dest);
  } catch (err) {
    if (err instanceof GoInstallError) throw err;
    const e = err as { code?: unknown; stderr?: unknown; message?: unknown };
    const why =
      e.code === 'ENOENT'
        ? `${go}: command not found (install Go 1.23 or later)`
        : String(e.stderr || e.message)
            .trim()
            .split('\n')
            .slice(-5)
            .join('\n');
    throw new GoInstallError(`go install ${opts.pkg}@${opts.version} failed:\n${why}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  opts.log(`built ${path.basename(opts.dest)} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** The directory of a module version in the Go module cache (downloading it when missing). */
export async function moduleDir(module: string, version: string, goBinary = 'go'): Promise<string> {
  const { stdout } = await execFileP(goBinary, ['mod', 'download', '-json', `${module}@${version}`], {
    timeout: 10 * 60_000,
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  const dir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!dir || !fs.existsSync(dir)) throw new GoInstallError(`no module directory for ${module}@${version}`);
  return dir;
}

/** Copies a folder out of the (read-only) module cache, leaving the copy removable. */
export function copyOut(from: string, to: string): void {
  const tmp = `${to}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.cpSync(from, tmp, { recursive: true });
  chmodTree(tmp);
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.renameSync(tmp, to);
}

function chmodTree(p: string): void {
  const st = fs.statSync(p);
  fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
  if (st.isDirectory()) for (const e of fs.readdirSync(p)) chmodTree(path.join(p, e));
}
