/**
 * The local Temporal dev server behind `cascade dev`: the Temporal CLI's `server start-dev`,
 * persisted in a SQLite file under .cascade/ (WAL, so the UI and the workers read while it
 * writes), with the Web UI on 8233 and our search attributes registered. A healthy server
 * already listening on the address is reused rather than a second one started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { ALL_SEARCH_ATTRIBUTES } from './workflows/search-attributes';
import { devServerDynamicConfigArgs } from './dev-server-config';

export interface DevServerOptions {
  cliPath: string;
  /** host:port of the frontend, e.g. localhost:7233. */
  address: string;
  uiPort: number;
  dbFile: string;
  namespace: string;
  /** Where the server's own log goes (a file; its output would drown the terminal). */
  logFile: string;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  /** True when an already running server was found and is being reused. */
  reused: boolean;
  /** The server process this call started (absent when reused). */
  pid?: number;
  stop(): Promise<void>;
}

const TYPE_NAMES: Record<string, string> = {
  KEYWORD: 'Keyword',
  BOOL: 'Bool',
  INT: 'Int',
  DOUBLE: 'Double',
  TEXT: 'Text',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** Whether a Temporal frontend answers at `address` (a short, bounded probe). */
/**
 * Whether a Temporal frontend answers at `address`. One second is enough to tell whether a dev
 * server is already running; a command that needs the server passes longer (a loaded machine can
 * take seconds to accept a connection, and refusing to start then is wrong).
 */
export async function isServerHealthy(address: string, connectTimeout: Duration = '1s'): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  if (i < 0 || !Number.isInteger(port))
    throw new Error(`TEMPORAL_ADDRESS must be host:port, got "${address}"`);
  return { host: address.slice(0, i), port };
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const { host, port } = splitAddress(opts.address);
  const uiUrl = `http://localhost:${opts.uiPort}`;
  if (await isServerHealthy(opts.address)) {
    return { address: opts.address, uiUrl, reused: true, stop: async () => undefined };
  }
  fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const log = fs.openSync(opts.logFile, 'a');
  const args = [
    'server',
    'start-dev',
    '--ip',
    host === 'localhost' ? '127.0.0.1' : host,
    '--port',
    String(port),
    '--ui-port',
    String(opts.uiPort),
    '--db-filename',
    opts.dbFile,
    '--sqlite-pragma',
    'journal_mode=WAL',
    // WAL with synchronous=NORMAL: a commit survives a crash of the server process, not of the
    // machine's power; a fsync per commit (the default FULL) would add ~10 ms to every workflow task.
    '--sqlite-pragma',
    'synchronous=NORMAL',
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    ...devServerDynamicConfigArgs(),
    ...ALL_SEARCH_ATTRIBUTES.flatMap((k) => [
      '--search-attribute',
      `${k.name}=${TYPE_NAMES[k.type] ?? k.type}`,
    ]),
  ];
  const child: ChildProcess = spawn(opts.cliPath, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });

  // Bounded wait for the frontend; the first start of a new database takes a few seconds.
  for (let i = 0; i < 120 && !exited; i++) {
    if (await isServerHealthy(opts.address)) {
      return {
        address: opts.address,
        uiUrl,
        reused: false,
        ...(child.pid !== undefined ? { pid: child.pid } : {}),
        stop: () => stopChild(child),
      };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stopChild(child);
  throw new Error(
    `The Temporal dev server did not come up on ${opts.address} (${exited ?? 'no answer after 60 s'}); ` +
      `see ${opts.logFile}. Is the port taken by something else?`,
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(killer);
}
