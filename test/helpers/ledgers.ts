/**
 * The ledger tests run against both databases: SQLite (a file in a fresh temp dir) and
 * PostgreSQL (a fresh database per ledger on the server at CASCADE_TEST_PG_URL, which .ci/run
 * starts; locally: `eval "$(bash .ci/postgres.sh start)"`).
 *
 * Without CASCADE_TEST_PG_URL the PostgreSQL suites are skipped with the reason printed, except
 * under CI=true, where they fail: CI must never lose PostgreSQL coverage silently.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { describe, it } from 'vitest';
import { openLedger } from '../../src/request/ledger/open';
import type { Ledger } from '../../src/request/ledger/types';

export interface LedgerBackend {
  name: 'sqlite' | 'postgres';
  /** null when the backend can be used, else why not. */
  unavailable: string | null;
  /** A URL of a new, empty ledger database (not opened). */
  freshUrl(): Promise<string>;
  /** Drops every database freshUrl made. */
  cleanup(): Promise<void>;
  /** PostgreSQL only: runs SQL on the server's maintenance connection (e.g. to block a database). */
  admin?(sql: string): Promise<void>;
}

const PG_URL = process.env.CASCADE_TEST_PG_URL || undefined;
const UNDER_CI = process.env.CI === 'true';

function sqliteBackend(): LedgerBackend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    unavailable: null,
    async freshUrl() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-ledger-'));
      dirs.push(dir);
      return `sqlite:${path.join(dir, 'ledger.sqlite')}`;
    },
    async cleanup() {
      for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): LedgerBackend {
  const made: string[] = [];
  const admin = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ connectionString: PG_URL });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    name: 'postgres',
    unavailable: PG_URL
      ? null
      : 'CASCADE_TEST_PG_URL is not set (start one: eval "$(bash .ci/postgres.sh start)")',
    async freshUrl() {
      const db = `cascade_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
      await admin((c) => c.query(`CREATE DATABASE ${db}`));
      made.push(db);
      const url = new URL(PG_URL!);
      url.pathname = `/${db}`;
      return url.toString();
    },
    async admin(sql: string) {
      await admin((c) => c.query(sql));
    },
    async cleanup() {
      const dbs = made.splice(0);
      if (dbs.length === 0) return;
      await admin(async (c) => {
        for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      });
    },
  };
}

export function ledgerBackends(): LedgerBackend[] {
  return [sqliteBackend(), postgresBackend()];
}

/** Opens a new, empty, migrated ledger on the backend. */
export async function freshLedger(backend: LedgerBackend): Promise<{ ledger: Ledger; url: string }> {
  const url = await backend.freshUrl();
  return { ledger: await openLedger(url), url };
}

/**
 * `describe` once per backend (or only the one named). An unavailable backend is skipped with
 * its reason printed, or, under CI=true, fails.
 */
export function describeEachLedger(
  title: string,
  body: (backend: LedgerBackend) => void,
  only?: LedgerBackend['name'],
): void {
  for (const backend of ledgerBackends().filter((b) => !only || b.name === only)) {
    describe(`${title} [${backend.name}]`, () => {
      if (backend.unavailable === null) {
        body(backend);
        return;
      }
      if (UNDER_CI) {
        it(`runs on ${backend.name}`, () => {
          throw new Error(`${backend.name} is required under CI=true: ${backend.unavailable}`);
        });
        return;
      }
      console.warn(`[ledger tests] skipping "${title}" on ${backend.name}: ${backend.unavailable}`);
      it.skip(`on ${backend.name}: ${backend.unavailable}`, () => undefined);
    });
  }
}
