/**
 * A child process of the real-cluster stack: its output appended to a log file (a server's
 * output would drown the terminal, and the file is what to read when it fails), its exit
 * observed, and a stop that escalates from SIGTERM to SIGKILL so Ctrl-C never leaves a process
 * behind. Secrets reach children through their environment only, never their arguments (which
 * `ps` shows to every user) nor the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface Child {
  name: string;
  pid: number;
  logFile: string;
  /** The exit description once it has exited ("code 1", "SIGKILL"), else null. */
  exited(): string | null;
  /** Resolves when the process has exited, however it ended. */
  done: Promise<void>;
  /** The last lines of its log, for an error message. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves once it has exited. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** Sends a signal and does not wait (kill -9 in a resilience run). */
  kill(signal: NodeJS.Signals): void;
  /** The same command started again, appending to the same log (a restart after it died). */
  respawn(): Child;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
}

export function spawnChild(opts: SpawnOptions): Child {
  const log = fs.openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    // A process group of its own: Ctrl-C in the terminal reaches the parent alone, which stops
    // the stack in order (gateways, workers, then the server) instead of everything at once.
    child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', log, log],
      detached: true,
    });
  } finally {
    fs.closeSync(log);
  }
  let exit: string | null = null;
  const done = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ?? `code ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      exit = `failed to start: ${err.message}`;
      resolve();
    });
  });
  const tail = (lines = 20) => {
    try {
      return fs.readFileSync(opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  return {
    name: opts.name,
    pid: child.pid ?? -1,
    logFile: opts.logFile,
    exited: () => exit,
    done,
    tail,
    kill: (signal) => {
      if (exit === null) child.kill(signal);
    },
    respawn: () => spawnChild(opts),
    async stop(graceMs = 15_000) {
      if (exit !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(killer);
    },
  };
}

/** Polls `ready` every 250 ms until it holds; fails early when the child exits, or after timeoutMs. */
export async function waitFor(
  child: Child,
  what: string,
  ready: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    const exit = child.exited();
    if (exit !== null) {
      throw new Error(
        `${child.name} exited (${exit}) before ${what}; its log, ${child.logFile}:\n${child.tail()}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${child.name} did not get to ${what} in ${timeoutMs / 1000} s; its log, ${child.logFile}:\n${child.tail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Whether a GET of `url` answers 2xx within 2 s (a readiness probe for `waitFor`). */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
