/**
 * The production ledger: PostgreSQL through a `pg` Pool. Transactions run on one pooled client;
 * retry linking of one (caller, prompt) is serialised with a transaction-scoped advisory lock,
 * and migrations with a session advisory lock, so any number of workers may start and write at
 * once. An idle client's error (the server restarted) is logged, not thrown: the next write
 * fails, the record activity retries, and the pool reconnects.
 */
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { MIGRATIONS_TABLE, PG_MIGRATION_LOCK, pendingMigrations } from './migrations';
import type { Sql } from './sql';
import { SqlLedger } from './sql-ledger';
import { redactUrl } from './types';

/** `?` placeholders to `$1, $2, ...` (the ledger's SQL has no `?` inside literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function sqlOn(client: Pool | PoolClient): Sql {
  return {
    async all<T>(sql: string, params?: unknown[]) {
      return (await client.query(numberPlaceholders(sql), params)).rows as T[];
    },
    async run(sql: string, params?: unknown[]) {
      return (await client.query(numberPlaceholders(sql), params)).rowCount ?? 0;
    },
  };
}

export interface PostgresLedgerOptions {
  /** Pool size (default 5). */
  max?: number;
  /** Where pool errors go (default console.warn). */
  onError?: (err: Error) => void;
}

export class PostgresLedger extends SqlLedger {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  private readonly pool: Pool;
  protected readonly sql: Sql;

  constructor(url: string, opts: PostgresLedgerOptions = {}) {
    super();
    this.location = redactUrl(url);
    const config: PoolConfig = {
      connectionString: url,
      max: opts.max ?? 5,
      connectionTimeoutMillis: 10_000,
      application_name: 'cascade-router',
    };
    this.pool = new Pool(config);
    const onError =
      opts.onError ??
      ((err: Error) => console.warn(`ledger ${this.location}: idle client error: ${err.message}`));
    this.pool.on('error', onError);
    this.sql = sqlOn(this.pool);
  }

  protected async tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(sqlOn(client));
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  protected async lockRetryKey(q: Sql, caller: string, promptHash: string): Promise<void> {
    // Two int4 keys: a key space apart from the migration lock's one bigint key.
    await q.all('SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))', [caller, promptHash]);
  }

  async migrate(): Promise<number[]> {
    const client = await this.pool.connect();
    const done: number[] = [];
    try {
      await client.query('SELECT pg_advisory_lock($1)', [PG_MIGRATION_LOCK]);
      try {
        await client.query(MIGRATIONS_TABLE);
        const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
        for (const m of pendingMigrations(rows.map((r) => Number(r.version)))) {
          await client.query('BEGIN');
          try {
            await client.query(m.postgres);
            await client.query(
              'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
              [m.version, m.name, Date.now()],
            );
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          }
          done.push(m.version);
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
    return done;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
