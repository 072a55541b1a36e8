/**
 * Stored monitor evaluations (migration 2, `monitor_evaluations`): written by the scheduled
 * evaluation, read by every worker's gauges, by the next evaluation (alert transitions) and by
 * `cascade report --latest`. SqlLedger delegates here; kept apart because it is the monitors'
 * table, not the request ledger's.
 */
import type { Sql } from './sql';

/**
 * An evaluation's report as the ledger sees it: a JSON value (the monitors' `Report`,
 * src/watch/monitors/types.ts) of which it reads only what has its own columns, the window and the
 * number of alerts. It stores the whole value and hands it back as it was written; the monitors,
 * who wrote it, read it back as theirs (`storedReport`, src/watch/monitors/types.ts). The ledger sits
 * below the monitors and does not import them.
 */
export interface EvaluationReport {
  window: { from: number; to: number };
  alerts: readonly unknown[];
}

export interface StoredEvaluation {
  id: string;
  /** End of the evaluated window, epoch ms. */
  at: number;
  report: EvaluationReport;
  recordedAt: number;
}

export interface EvaluationQuery {
  /** Only evaluations whose `at` is earlier than this. */
  before?: number;
  /** Leave this evaluation out (a retried evaluation must not compare with itself). */
  excludeId?: string;
}

export async function saveEvaluation(
  sql: Sql,
  e: { id: string; at: number; report: EvaluationReport },
  now = Date.now(),
): Promise<{ inserted: boolean }> {
  const changed = await sql.run(
    'INSERT INTO monitor_evaluations (id, at, window_from, window_to, alerts, report, recorded_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    [
      e.id,
      e.at,
      e.report.window.from,
      e.report.window.to,
      e.report.alerts.length,
      JSON.stringify(e.report),
      now,
    ],
  );
  return { inserted: changed > 0 };
}

export async function latestEvaluation(sql: Sql, q: EvaluationQuery = {}): Promise<StoredEvaluation | null> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.before !== undefined) {
    where.push('at < ?');
    params.push(q.before);
  }
  if (q.excludeId !== undefined) {
    where.push('id <> ?');
    params.push(q.excludeId);
  }
  const [row] = await sql.all<Record<string, unknown>>(
    `SELECT id, at, report, recorded_at FROM monitor_evaluations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
      'ORDER BY at DESC, id DESC LIMIT 1',
    params,
  );
  if (!row) return null;
  // JSONB comes back parsed from PostgreSQL, TEXT from SQLite.
  const report = (typeof row.report === 'string' ? JSON.parse(row.report) : row.report) as EvaluationReport;
  return { id: String(row.id), at: Number(row.at), report, recordedAt: Number(row.recorded_at) };
}
