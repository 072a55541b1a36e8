/**
 * Opening the ledger named by a URL (`CASCADE_LEDGER_URL`):
 *
 *   sqlite:<path>                   a SQLite file (relative paths from the working directory)
 *   sqlite::memory:                 an in-memory SQLite ledger (gone when the process exits)
 *   postgres://user:pw@host/db      PostgreSQL (also postgresql://; any libpq URL parameters)
 *
 * Migrations run on open unless `migrate: false`.
 */
import { PostgresLedger, type PostgresLedgerOptions } from './postgres';
import { SqliteLedger, type SqliteLedgerOptions } from './sqlite';
import { LedgerUrlError, type Ledger } from './types';

export interface OpenLedgerOptions extends SqliteLedgerOptions, PostgresLedgerOptions {
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
}

export type LedgerTarget = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

export function parseLedgerUrl(url: string): LedgerTarget {
  if (/^sqlite:/i.test(url)) {
    let file = url.slice('sqlite:'.length);
    if (file.startsWith('//')) file = file.slice(2); // sqlite:///abs/path and sqlite://rel/path
    if (file === '') throw new LedgerUrlError(url, 'sqlite: needs a file path (or :memory:)');
    return { dialect: 'sqlite', file };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', url };
  throw new LedgerUrlError(url, 'use sqlite:<path>, sqlite::memory: or postgres://user@host:port/database');
}

export async function openLedger(url: string, opts: OpenLedgerOptions = {}): Promise<Ledger> {
  const target = parseLedgerUrl(url);
  const ledger =
    target.dialect === 'sqlite' ? new SqliteLedger(target.file, opts) : new PostgresLedger(target.url, opts);
  if (opts.migrate !== false) {
    try {
      await ledger.migrate();
    } catch (err) {
      await ledger.close().catch(() => undefined);
      throw err;
    }
  }
  return ledger;
}
