/**
 * The PostgreSQL side of the real-cluster stack, as deploy/postgres/init/10-cascade-databases.sh
 * sets it up for the compose stack: one role per consumer, each owning only its databases and
 * nobody else allowed to connect to them:
 *
 *   temporal -> temporal (default store), temporal_visibility (visibility store)
 *   cascade  -> cascade_ledger (the outcome ledger; its tables are the worker's migrations)
 *
 * Unlike the init script (which runs once, on an empty volume) this is idempotent and takes the
 * database names as arguments, so a test can run beside others on one shared PostgreSQL with
 * databases of its own. Passwords are fresh random hex per run, set here and handed to the
 * server and the workers through their environment; they are never logged.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface RoleDatabases {
  role: string;
  databases: string[];
}

export interface PostgresTarget {
  host: string;
  port: number;
}

/** The Temporal server's two databases and its role, as the schema tool and the server take them. */
export interface TemporalDatabases extends PostgresTarget {
  user: string;
  /** The role's password: handed over in the environment only (as compose's temporal.env does). */
  password: string;
  database: string;
  visibilityDatabase: string;
}

/** host and port of a postgres:// URL (the schema tool and the server take them apart). */
export function postgresTarget(url: string): PostgresTarget {
  const u = new URL(url);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new Error('--postgres must be a postgres:// URL of a role that may create roles and databases');
  }
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 5432) };
}

export function newPassword(): string {
  return randomBytes(24).toString('hex');
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a plain PostgreSQL name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * Creates (or updates the password of) `role` and creates each database it owns when missing.
 * `adminUrl` is a role that may create roles and databases (the superuser of a local cluster).
 */
export async function ensureRoleWithDatabases(
  adminUrl: string,
  spec: RoleDatabases,
  password: string,
): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const role = ident(spec.role);
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [spec.role]);
    // DDL takes no bind parameters: the password is hex from newPassword(), quoted as a literal.
    const pw = client.escapeLiteral(password);
    await client.query(
      exists.rowCount
        ? `ALTER ROLE ${role} LOGIN PASSWORD ${pw}`
        : `CREATE ROLE ${role} LOGIN PASSWORD ${pw}`,
    );
    for (const name of spec.databases) {
      const db = ident(name);
      const has = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!has.rowCount) await client.query(`CREATE DATABASE ${db} OWNER ${role}`);
      await client.query(`REVOKE CONNECT ON DATABASE ${db} FROM PUBLIC`);
      await client.query(`GRANT CONNECT ON DATABASE ${db} TO ${role}`);
    }
  } finally {
    await client.end();
  }
}

/** Drops databases (a test's own, once the server that used them has stopped). */
export async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A postgres:// URL for `role` on the admin URL's server (for CASCADE_LEDGER_URL; a secret). */
export function roleUrl(adminUrl: string, role: string, password: string, database: string): string {
  const u = new URL(adminUrl);
  u.username = role;
  u.password = password;
  u.pathname = `/${database}`;
  u.search = '';
  return u.toString();
}
