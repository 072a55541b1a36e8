/**
 * The call journal (migration 3, `call_journal`): one row per execution key of a model call, so
 * a paid call whose outcome Temporal never recorded is still on the record
 * (docs/architecture.md, "Lean and durable execution").
 *
 * A lean request's model call is a local activity: its result reaches history only with the
 * workflow task that ran it. If the worker dies first, the task is retried elsewhere and the
 * call runs again, under the same key (workflow id, run id, the local activity's sequence
 * number, deterministic on replay). The journal row written when the first execution began
 * says so: finished, with its exact usage and cost (the answer came back, the marker was lost),
 * or unfinished, with an estimate (input tokens counted locally; output unknown, counted as 0).
 * The re-execution reports it to the workflow, which records it as a `lost` attempt.
 *
 * A call can be lost more than once (its worker dies, then the next execution's workflow task
 * times out on a loaded worker and runs a third time): every earlier execution keeps a row of its
 * own, under the key's activity id with `#<execution>` after it, so each is on the record as an
 * attempt of its own and none is paid unrecorded.
 */
import type { Sql } from './sql';

export interface CallKey {
  workflowId: string;
  runId: string;
  /** The activity id: a local activity's is its sequence number in the workflow. */
  activityId: string;
}

export interface CallStart {
  model: string;
  purpose: string;
  attempt: number;
  /** Input tokens counted locally and their cost: what a call lost in flight is charged at least. */
  estimatedTokensIn: number;
  estimatedCostUsd: number;
}

export interface CallUsage {
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  latencyMs: number;
}

/** An earlier execution of the same call whose outcome Temporal did not record. */
export interface EarlierExecution extends CallUsage {
  /** True when it never finished here (killed in flight): the usage is the estimate. */
  estimated: boolean;
}

export interface CallJournal {
  /** Records that an execution begins; returns every earlier execution under the same key, oldest first. */
  begin(key: CallKey, start: CallStart, now?: number): Promise<EarlierExecution[]>;
  /** What an execution under this key used so far, as `begin` would report it; null if none began. */
  peek(key: CallKey, now?: number): Promise<EarlierExecution | null>;
  /** Records what the execution used (a failed call too: a provider may bill a failure). */
  end(key: CallKey, usage: CallUsage, now?: number): Promise<void>;
}

type Row = Record<string, unknown>;

export async function beginCall(
  sql: Sql,
  key: CallKey,
  start: CallStart,
  now = Date.now(),
): Promise<EarlierExecution[]> {
  const earlier = await sql.all<Row>(
    `SELECT activity_id, executions, ${USAGE_COLUMNS} FROM call_journal ` +
      // The key's own row and its earlier executions' (`<id>#<n>`; a prefix test, not a range or
      // LIKE: PostgreSQL's collation may not order '#' bytewise, and LIKE would need escaping).
      'WHERE workflow_id = ? AND run_id = ? AND (activity_id = ? OR substr(activity_id, 1, ?) = ?) ' +
      'ORDER BY started_at, executions',
    [key.workflowId, key.runId, key.activityId, key.activityId.length + 1, `${key.activityId}#`],
  );
  const current = earlier.find((r) => r.activity_id === key.activityId);
  const executions = current ? Number(current.executions) : 0;
  // The previous execution keeps its row, under a name of its own; this one takes the key's row.
  // Unfinished, it ran (and was billed) until this one began, as far as anyone knows.
  if (current) {
    await sql.run(
      'UPDATE call_journal SET activity_id = ?, latency_ms = CASE WHEN finished_at IS NULL THEN ? ELSE latency_ms END ' +
        'WHERE workflow_id = ? AND run_id = ? AND activity_id = ?',
      [
        `${key.activityId}#${executions}`,
        Math.max(0, now - Number(current.started_at)),
        key.workflowId,
        key.runId,
        key.activityId,
      ],
    );
  }
  // The row now describes this execution, started with the estimate until `end` says more.
  await sql.run(
    'INSERT INTO call_journal (workflow_id, run_id, activity_id, model, purpose, attempt, started_at, ' +
      'finished_at, tokens_in, tokens_out, cost_usd, latency_ms, executions) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, 0, ?, 0, ?)',
    [
      key.workflowId,
      key.runId,
      key.activityId,
      start.model,
      start.purpose,
      start.attempt,
      now,
      start.estimatedTokensIn,
      start.estimatedCostUsd,
      executions + 1,
    ],
  );
  return earlier.map((r) => execution(r, r === current ? now : null));
}

const USAGE_COLUMNS = 'started_at, finished_at, tokens_in, tokens_out, cost_usd, latency_ms';

/**
 * One execution's usage. `now` for the key's own row: unfinished, it ran (and was billed) for as
 * long as we know of, up to now. An earlier execution's row holds its time already (it ended
 * when the next began, at the latest).
 */
function execution(row: Row, now: number | null): EarlierExecution {
  const finished = row.finished_at !== null && row.finished_at !== undefined;
  return {
    estimated: !finished,
    tokensIn: Number(row.tokens_in),
    tokensOut: Number(row.tokens_out),
    costUsd: Number(row.cost_usd),
    latencyMs: finished || now === null ? Number(row.latency_ms) : Math.max(0, now - Number(row.started_at)),
  };
}

/** The execution journalled under `key`: exact if it finished, else the estimate and the time it ran. */
export async function peekCall(sql: Sql, key: CallKey, now = Date.now()): Promise<EarlierExecution | null> {
  const [prev] = await sql.all<Row>(
    `SELECT ${USAGE_COLUMNS} FROM call_journal WHERE workflow_id = ? AND run_id = ? AND activity_id = ?`,
    [key.workflowId, key.runId, key.activityId],
  );
  return prev ? execution(prev, now) : null;
}

export async function endCall(sql: Sql, key: CallKey, usage: CallUsage, now = Date.now()): Promise<void> {
  await sql.run(
    'UPDATE call_journal SET finished_at = ?, tokens_in = ?, tokens_out = ?, cost_usd = ?, latency_ms = ? ' +
      'WHERE workflow_id = ? AND run_id = ? AND activity_id = ?',
    [
      now,
      usage.tokensIn,
      usage.tokensOut,
      usage.costUsd,
      usage.latencyMs,
      key.workflowId,
      key.runId,
      key.activityId,
    ],
  );
}

/** Migration 3: the journal, and which attempt rows carry estimated usage. */
export function callJournalDdl(t: { real: string; bool: string }): string {
  return `
ALTER TABLE attempts ADD COLUMN estimated ${t.bool};
CREATE TABLE call_journal (
  workflow_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  activity_id TEXT NOT NULL,
  model TEXT NOT NULL,
  purpose TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  tokens_in ${t.real} NOT NULL,
  tokens_out ${t.real} NOT NULL,
  cost_usd ${t.real} NOT NULL,
  latency_ms ${t.real} NOT NULL,
  executions INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, run_id, activity_id)
);
CREATE INDEX call_journal_started_at ON call_journal (started_at);
`;
}
