/**
 * The ledger's schema, as numbered migrations per dialect. A database records what it has in
 * `schema_migrations (version, name, applied_at)`; `migrate()` applies the missing ones in order,
 * each in its own transaction with its row in schema_migrations, so it is idempotent and a
 * crash between two leaves a consistent version. Concurrent starts are safe: SQLite takes the
 * write lock first (BEGIN IMMEDIATE), PostgreSQL a session advisory lock.
 *
 * Never edit a released migration: add the next number. A database whose version is newer than
 * this build's is refused (an old worker must not write rows a newer schema expects otherwise).
 *
 * Types: times are epoch milliseconds (BIGINT), money and latencies double precision, JSON
 * columns TEXT on SQLite and JSONB on PostgreSQL, booleans INTEGER 0/1 on SQLite.
 */

import { callJournalDdl } from './call-journal';

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** Key of the PostgreSQL advisory lock held while migrating ("cascad" in ASCII). */
export const PG_MIGRATION_LOCK = 0x636173636164;

type Types = { bool: string; json: string; real: string; id: string };
const SQLITE: Types = {
  bool: 'INTEGER',
  json: 'TEXT',
  real: 'REAL',
  id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
};
const PG: Types = {
  bool: 'BOOLEAN',
  json: 'JSONB',
  real: 'DOUBLE PRECISION',
  id: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
};

function initial(t: Types): string {
  return `
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL,
  latency_ms ${t.real} NOT NULL,
  tenant TEXT,
  caller TEXT,
  task TEXT NOT NULL,
  task_type TEXT NOT NULL,
  route TEXT NOT NULL,
  served_as TEXT NOT NULL,
  status TEXT NOT NULL,
  rung_models ${t.json} NOT NULL,
  final_model TEXT,
  final_rung INTEGER,
  escalated ${t.bool} NOT NULL,
  escalations ${t.json} NOT NULL,
  last_reason TEXT,
  attempts INTEGER NOT NULL,
  cost_usd ${t.real} NOT NULL,
  baseline_cost_usd ${t.real} NOT NULL,
  baseline_estimated ${t.bool} NOT NULL,
  wasted_cost_usd ${t.real} NOT NULL,
  orchestration_actions INTEGER NOT NULL,
  orchestration_cost_usd ${t.real} NOT NULL,
  confidence_model TEXT,
  confidence_source TEXT,
  raw_confidence ${t.real},
  calibrated_confidence ${t.real},
  schema_valid ${t.bool},
  config_version TEXT NOT NULL,
  classifier_version TEXT,
  calibration_version TEXT NOT NULL,
  decision_ms ${t.real},
  features ${t.json},
  shadow ${t.bool} NOT NULL,
  shadow_of TEXT,
  shadow_agreement ${t.json},
  shadow_agreed ${t.bool},
  would_have_saved_usd ${t.real},
  would_have_escalated ${t.bool},
  retry_of TEXT,
  retry_link TEXT,
  prompt_hash TEXT,
  trace_version INTEGER NOT NULL,
  recorded_at BIGINT NOT NULL
);
CREATE INDEX requests_started_at ON requests (started_at);
CREATE INDEX requests_tenant ON requests (tenant, started_at);
CREATE INDEX requests_retry ON requests (caller, prompt_hash, started_at);
CREATE INDEX requests_retry_of ON requests (retry_of);

CREATE TABLE attempts (
  request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  call_index INTEGER NOT NULL,
  rung INTEGER NOT NULL,
  model TEXT NOT NULL,
  purpose TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  ok ${t.bool} NOT NULL,
  error_class TEXT,
  status INTEGER,
  latency_ms ${t.real} NOT NULL,
  tokens_in ${t.real} NOT NULL,
  tokens_out ${t.real} NOT NULL,
  cost_usd ${t.real} NOT NULL,
  endpoint INTEGER,
  backoff_ms ${t.real},
  PRIMARY KEY (request_id, call_index, attempt)
);
CREATE INDEX attempts_model ON attempts (model);

CREATE TABLE feedback (
  id ${t.id},
  request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  score ${t.real} NOT NULL,
  label TEXT,
  source TEXT NOT NULL,
  key TEXT,
  UNIQUE (request_id, key)
);
CREATE INDEX feedback_request ON feedback (request_id, created_at);
`;
}

/**
 * One row per scheduled evaluation of the monitors (src/temporal/workflows/monitor.ts): the whole report as
 * JSON, so `cascade report --evaluation`, the Prometheus gauges of every worker and the next
 * evaluation's alert transitions all read the same figures. Keyed by the evaluating workflow's
 * id, which makes a retried evaluation a no-op.
 */
function monitorEvaluations(t: Types): string {
  return `
CREATE TABLE monitor_evaluations (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  window_from BIGINT NOT NULL,
  window_to BIGINT NOT NULL,
  alerts INTEGER NOT NULL,
  report ${t.json} NOT NULL,
  recorded_at BIGINT NOT NULL
);
CREATE INDEX monitor_evaluations_at ON monitor_evaluations (at);
`;
}

export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'requests, attempts, feedback', sqlite: initial(SQLITE), postgres: initial(PG) },
  {
    version: 2,
    name: 'monitor evaluations',
    sqlite: monitorEvaluations(SQLITE),
    postgres: monitorEvaluations(PG),
  },
  { version: 3, name: 'call journal', sqlite: callJournalDdl(SQLITE), postgres: callJournalDdl(PG) },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class LedgerSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerSchemaError';
  }
}

/** The migrations still to apply, after checking the database is not ahead of this build. */
export function pendingMigrations(applied: number[]): Migration[] {
  const newest = Math.max(0, ...applied);
  if (newest > LATEST_VERSION) {
    throw new LedgerSchemaError(
      `the ledger's schema is at version ${newest}, newer than this build's ${LATEST_VERSION}: upgrade cascade-router`,
    );
  }
  const have = new Set(applied);
  return MIGRATIONS.filter((m) => !have.has(m.version));
}
