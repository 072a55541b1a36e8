/**
 * The real Temporal server (not the CLI's dev server) and its SQL schema tool, found in the
 * project cache or built with `go install` from the server's own module, which carries no
 * replace directive and is served by the Go module proxy: no Docker and no other download.
 *
 *   .cascade/temporal-server/<version>/temporal-server
 *   .cascade/temporal-server/<version>/temporal-sql-tool
 *   .cascade/temporal-server/<version>/schema/postgresql/v12/...   (copied from the module)
 *
 * The release is the one the compose stack runs (temporalio/server:1.29.1) and the dev server
 * the tests use. The schema files are copied beside the binaries so a cached build needs no Go
 * module cache afterwards (CI keeps .cascade/ between runs).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { copyOut, goInstall, moduleDir } from './go-install';

const execFileP = promisify(execFile);

export const TEMPORAL_SERVER_VERSION = '1.29.1';
const MODULE = 'go.temporal.io/server';
const PACKAGES = {
  'temporal-server': `${MODULE}/cmd/server`,
  'temporal-sql-tool': `${MODULE}/cmd/tools/sql`,
} as const;
type BinaryName = keyof typeof PACKAGES;

export interface ServerBinaries {
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the same release: temporal/ and visibility/, each with versioned/. */
  postgresSchemaDir: string;
  /** 'cache' or 'go install (N s)': for the log and the bench report. */
  source: string;
}

export interface ResolveServerOptions {
  /** The project cache root (.cascade). */
  cacheDir: string;
  /** The go binary (default `go` on PATH). */
  goBinary?: string;
  /** false: only look in the cache, never build (a test outside CI skips instead of waiting minutes). */
  build?: boolean;
  log?: (line: string) => void;
}

export class ServerBinariesMissingError extends Error {
  override name = 'ServerBinariesMissingError';
}

export function serverCacheDir(cacheDir: string): string {
  return path.join(cacheDir, 'temporal-server', TEMPORAL_SERVER_VERSION);
}

/** `<bin> --version` must name this release (urfave/cli prints "<name> version 1.29.1"). */
async function probe(bin: string): Promise<void> {
  const { stdout } = await execFileP(bin, ['--version'], { timeout: 30_000 });
  if (!stdout.includes(`version ${TEMPORAL_SERVER_VERSION}`)) {
    throw new Error(`${bin} is not release ${TEMPORAL_SERVER_VERSION}: ${stdout.trim().slice(0, 120)}`);
  }
}

async function cached(dir: string): Promise<ServerBinaries | undefined> {
  const server = path.join(dir, 'temporal-server');
  const sqlTool = path.join(dir, 'temporal-sql-tool');
  const postgresSchemaDir = path.join(dir, 'schema', 'postgresql', 'v12');
  if (![server, sqlTool, postgresSchemaDir].every((p) => fs.existsSync(p))) return undefined;
  try {
    await probe(server);
    await probe(sqlTool);
  } catch {
    return undefined;
  }
  return { server, sqlTool, postgresSchemaDir, source: 'cache' };
}

export async function resolveServerBinaries(opts: ResolveServerOptions): Promise<ServerBinaries> {
  const log = opts.log ?? (() => undefined);
  const dir = serverCacheDir(opts.cacheDir);
  const found = await cached(dir);
  if (found) return found;
  if (opts.build === false) {
    throw new ServerBinariesMissingError(
      `The Temporal server ${TEMPORAL_SERVER_VERSION} is not built yet (${dir}); ` +
        '`npm run stack:real -- --build-only` builds it (several minutes).',
    );
  }
  const version = `v${TEMPORAL_SERVER_VERSION}`;
  try {
    for (const [name, pkg] of Object.entries(PACKAGES) as [BinaryName, string][]) {
      await goInstall({ pkg, version, dest: path.join(dir, name), goBinary: opts.goBinary, log });
    }
    // The release's PostgreSQL schema, from the module go install just fetched.
    const from = path.join(await moduleDir(MODULE, version, opts.goBinary), 'schema', 'postgresql', 'v12');
    copyOut(from, path.join(dir, 'schema', 'postgresql', 'v12'));
  } catch (err) {
    throw new ServerBinariesMissingError((err as Error).message);
  }
  const built = await cached(dir);
  if (!built) throw new ServerBinariesMissingError(`the build left no working binaries in ${dir}`);
  return { ...built, source: 'go install' };
}
