/**
 * The embedded ledger: one SQLite file (better-sqlite3), WAL journal so readers (a test, `cascade
 * feedback`, a report) never block the worker's writes, and a busy timeout so two processes
 * writing the same file wait for each other instead of failing. Each write transaction starts
 * with BEGIN IMMEDIATE (the write lock first), and this process runs one transaction at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS_TABLE, pendingMigrations } from './migrations';
import type { Sql } from './sql';
import { SqlLedger } from './sql-ledger';

export interface SqliteLedgerOptions {
  /** How long a statement waits for another process's lock (default 10 s). */
  busyTimeoutMs?: number;
}

/**
 * Transactions per database file in this process, one after another. better-sqlite3 is
 * synchronous: a second connection's BEGIN IMMEDIATE would block the thread waiting for a lock
 * that the first connection can only release once the thread runs again. So every SqliteLedger
 * of a file in this process queues behind the same promise (other processes wait on the lock).
 */
const queues = new Map<string, Promise<unknown>>();

function bind(params: unknown[] = []): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

export class SqliteLedger extends SqlLedger {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  /** The key of this database's transaction queue in `queues`. */
  private readonly queueKey: string;
  protected readonly sql: Sql;

  /** `file` is a path, or `:memory:` for a ledger that lives as long as this object. */
  constructor(file: string, opts: SqliteLedgerOptions = {}) {
    super();
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.location = file === ':memory:' ? 'sqlite::memory:' : `sqlite:${path.resolve(file)}`;
    this.queueKey = file === ':memory:' ? `:memory:${Math.random()}` : path.resolve(file);
    this.db = new Database(file, { timeout: opts.busyTimeoutMs ?? 10_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    const db = this.db;
    this.sql = {
      async all<T>(sql: string, params?: unknown[]) {
        return db.prepare(sql).all(...bind(params)) as T[];
      },
      async run(sql: string, params?: unknown[]) {
        return db.prepare(sql).run(...bind(params)).changes;
      },
    };
  }

  protected tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this.sql);
        this.db.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    };
    const next = (queues.get(this.queueKey) ?? Promise.resolve()).then(run, run);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    queues.set(this.queueKey, settled);
    void settled.then(() => {
      if (queues.get(this.queueKey) === settled) queues.delete(this.queueKey);
    });
    return next;
  }

  protected async lockRetryKey(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's one write lock.
  }

  async migrate(): Promise<number[]> {
    this.db.exec(MIGRATIONS_TABLE);
    const done: number[] = [];
    // Each migration in its own transaction, the pending list re-read under the write lock, so
    // two processes starting at once apply each migration once.
    for (;;) {
      const applied = await this.tx(async (q) => {
        const have = (await q.all<{ version: number }>('SELECT version FROM schema_migrations')).map(
          (r) => r.version,
        );
        const [next] = pendingMigrations(have);
        if (!next) return null;
        this.db.exec(next.sqlite);
        await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          next.version,
          next.name,
          Date.now(),
        ]);
        return next.version;
      });
      if (applied === null) return done;
      done.push(applied);
    }
  }

  async close(): Promise<void> {
    await queues.get(this.queueKey);
    if (this.db.open) this.db.close();
  }
}
