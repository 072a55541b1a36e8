/**
 * The small async query interface the ledger's logic is written against, once for both
 * databases: `?` placeholders (the PostgreSQL driver numbers them). sqlite.ts and postgres.ts
 * implement it; sql-ledger.ts, evaluations.ts and call-journal.ts query through it.
 */
export interface Sql {
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
}
