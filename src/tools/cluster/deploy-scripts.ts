/**
 * The compose stack's own one-shot scripts, run on this machine rather than in the admin-tools
 * container, so the local cluster is set up by the same steps as the deployed one:
 *
 *   deploy/temporal/scripts/setup-schema.sh      create or upgrade both schemas (temporal-sql-tool)
 *   deploy/temporal/scripts/create-namespace.sh  the namespace, once the server is healthy
 *
 * Each gets the variables its service gets in docker-compose.yml, and a PATH with the tools the
 * container would have (temporal-sql-tool, the `temporal` CLI) in front.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEPLOY_TEMPORAL_DIR } from './paths';
import type { TemporalDatabases } from './postgres';

const execFileP = promisify(execFile);

function withPath(dirs: string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: [...dirs, env.PATH ?? ''].join(path.delimiter) };
}

async function runScript(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  const file = path.join(DEPLOY_TEMPORAL_DIR, 'scripts', script);
  try {
    const { stdout, stderr } = await execFileP('/bin/sh', [file], { env, timeout: timeoutMs });
    return `${stdout}${stderr}`.trim();
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message?: string };
    throw new Error(`${script} failed: ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`);
  }
}

export interface SchemaSetup extends TemporalDatabases {
  /** The directory holding temporal-sql-tool. */
  toolDir: string;
  /** schema/postgresql/v12 of the server's release. */
  schemaDir: string;
}

/** Runs setup-schema.sh: both stores at the release's schema version (idempotent). */
export function setupSchema(s: SchemaSetup): Promise<string> {
  return runScript(
    'setup-schema.sh',
    withPath([s.toolDir], {
      ...process.env,
      POSTGRES_SEEDS: s.host,
      DB_PORT: String(s.port),
      POSTGRES_USER: s.user,
      POSTGRES_PWD: s.password,
      DBNAME: s.database,
      VISIBILITY_DBNAME: s.visibilityDatabase,
      SCHEMA_DIR: s.schemaDir,
    }),
    5 * 60_000,
  );
}

/**
 * A folder where the CLI answers to `temporal`, the name the script calls it by: its own folder,
 * or (TEMPORAL_CLI_PATH naming a binary otherwise) a temporary one with a link of that name.
 */
function cliDir(cliPath: string): { dir: string; cleanup: () => void } {
  if (path.basename(cliPath) === 'temporal') return { dir: path.dirname(cliPath), cleanup: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-temporal-cli-'));
  fs.symlinkSync(path.resolve(cliPath), path.join(dir, 'temporal'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs create-namespace.sh with the `temporal` CLI at `cliPath` (it waits for the server's health). */
export async function createNamespace(opts: {
  cliPath: string;
  address: string;
  namespace: string;
  retention: string;
}): Promise<string> {
  const cli = cliDir(opts.cliPath);
  try {
    return await runScript(
      'create-namespace.sh',
      withPath([cli.dir], {
        ...process.env,
        TEMPORAL_ADDRESS: opts.address,
        NAMESPACE: opts.namespace,
        NAMESPACE_RETENTION: opts.retention,
      }),
      2 * 60_000,
    );
  } finally {
    cli.cleanup();
  }
}
