/**
 * The ledger's logic, written once for both databases against a small async query interface
 * (`Sql`, sql.ts: `?` placeholders; the PostgreSQL driver numbers them). sqlite.ts and postgres.ts
 * supply transactions, locks and the migration runner.
 */
import type {
  AttemptRow,
  FeedbackInput,
  FeedbackRow,
  Ledger,
  LedgerTotals,
  OutcomeRecord,
  PurposeCost,
  RecordOptions,
  RecordResult,
  RequestFilter,
  RequestRow,
  TenantCosts,
  TimeRange,
} from './types';
import { UnknownRequestError } from './types';
import {
  latestEvaluation,
  saveEvaluation,
  type EvaluationQuery,
  type EvaluationReport,
  type StoredEvaluation,
} from './evaluations';
import {
  beginCall,
  endCall,
  peekCall,
  type CallKey,
  type CallStart,
  type CallUsage,
  type EarlierExecution,
} from './call-journal';
import type { Sql } from './sql';

type Row = Record<string, unknown>;

const REQUEST_COLUMNS: [string, (r: OutcomeRecord) => unknown][] = [
  ['id', (r) => r.id],
  ['run_id', (r) => r.runId],
  ['started_at', (r) => r.startedAt],
  ['finished_at', (r) => r.finishedAt],
  ['latency_ms', (r) => r.latencyMs],
  ['tenant', (r) => r.tenant],
  ['caller', (r) => r.caller],
  ['task', (r) => r.task],
  ['task_type', (r) => r.taskType],
  ['route', (r) => r.route],
  ['served_as', (r) => r.servedAs],
  ['status', (r) => r.status],
  ['rung_models', (r) => JSON.stringify(r.rungModels)],
  ['final_model', (r) => r.finalModel],
  ['final_rung', (r) => r.finalRung],
  ['escalated', (r) => r.escalated],
  ['escalations', (r) => JSON.stringify(r.escalations)],
  ['last_reason', (r) => r.lastReason],
  ['attempts', (r) => r.attempts],
  ['cost_usd', (r) => r.costUsd],
  ['baseline_cost_usd', (r) => r.baselineCostUsd],
  ['baseline_estimated', (r) => r.baselineEstimated],
  ['wasted_cost_usd', (r) => r.wastedCostUsd],
  ['orchestration_actions', (r) => r.orchestrationActions],
  ['orchestration_cost_usd', (r) => r.orchestrationCostUsd],
  ['confidence_model', (r) => r.confidenceModel],
  ['confidence_source', (r) => r.confidenceSource],
  ['raw_confidence', (r) => r.rawConfidence],
  ['calibrated_confidence', (r) => r.calibratedConfidence],
  ['schema_valid', (r) => r.schemaValid],
  ['config_version', (r) => r.configVersion],
  ['classifier_version', (r) => r.classifierVersion],
  ['calibration_version', (r) => r.calibrationVersion],
  ['decision_ms', (r) => r.decisionMs],
  ['features', (r) => (r.features ? JSON.stringify(r.features) : null)],
  ['shadow', (r) => r.shadow],
  ['shadow_of', (r) => r.shadowOf],
  ['shadow_agreement', (r) => (r.shadowAgreement ? JSON.stringify(r.shadowAgreement) : null)],
  ['shadow_agreed', (r) => r.shadowAgreed],
  ['would_have_saved_usd', (r) => r.wouldHaveSavedUsd],
  ['would_have_escalated', (r) => r.wouldHaveEscalated],
  ['prompt_hash', (r) => r.promptHash],
  ['trace_version', (r) => r.traceVersion],
];

const INSERT_REQUEST =
  `INSERT INTO requests (${REQUEST_COLUMNS.map(([c]) => c).join(', ')}, retry_of, retry_link, recorded_at) ` +
  `VALUES (${REQUEST_COLUMNS.map(() => '?').join(', ')}, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;

/** Every column of a request row but its id and retry link, from the record (a re-execution's fuller record). */
const UPDATE_REQUEST = `UPDATE requests SET ${REQUEST_COLUMNS.filter(([c]) => c !== 'id')
  .map(([c]) => `${c} = ?`)
  .join(', ')}, recorded_at = ? WHERE id = ?`;

const INSERT_ATTEMPT =
  'INSERT INTO attempts (request_id, call_index, rung, model, purpose, attempt, ok, error_class, status, ' +
  'latency_ms, tokens_in, tokens_out, cost_usd, endpoint, backoff_ms, estimated) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export abstract class SqlLedger implements Ledger {
  abstract readonly dialect: 'sqlite' | 'postgres';
  abstract readonly location: string;
  /** Statements outside a transaction. */
  protected abstract readonly sql: Sql;
  /** Runs `fn` in one transaction (committed if it resolves, rolled back if it throws). */
  protected abstract tx<T>(fn: (q: Sql) => Promise<T>): Promise<T>;
  /** Serialises retry linking of one (caller, prompt) across writers, inside `tx`. */
  protected abstract lockRetryKey(q: Sql, caller: string, promptHash: string): Promise<void>;
  abstract migrate(): Promise<number[]>;
  abstract close(): Promise<void>;

  async appliedMigrations(): Promise<number[]> {
    const rows = await this.sql.all<{ version: unknown }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    return rows.map((r) => Number(r.version));
  }

  async record(rec: OutcomeRecord, opts: RecordOptions): Promise<RecordResult> {
    const now = opts.now ?? Date.now();
    return this.tx(async (q) => {
      const linkable =
        !rec.shadow && rec.caller !== null && rec.promptHash !== null && opts.retryWindowMs > 0;
      if (linkable) await this.lockRetryKey(q, rec.caller!, rec.promptHash!);
      let retryOf = rec.retryOf;
      let retryLink: RecordResult['retryLink'] = retryOf ? 'explicit' : null;
      if (!retryOf && linkable) {
        const [prev] = await q.all<{ id: string }>(
          'SELECT id FROM requests WHERE caller = ? AND prompt_hash = ? AND shadow = ? AND id <> ? ' +
            'AND started_at < ? AND started_at >= ? ORDER BY started_at DESC, id DESC LIMIT 1',
          [rec.caller, rec.promptHash, false, rec.id, rec.startedAt, rec.startedAt - opts.retryWindowMs],
        );
        if (prev) {
          retryOf = prev.id;
          retryLink = 'auto';
        }
      }

      const inserted = await q.run(INSERT_REQUEST, [
        ...REQUEST_COLUMNS.map(([, get]) => get(rec)),
        retryOf,
        retryLink,
        now,
      ]);
      if (inserted === 0) {
        // Already recorded: a retried or replayed activity (the same record: write nothing), or
        // the same run's workflow task executed again after its first execution wrote the row
        // but its completion never reached Temporal (a lean request whose worker or server
        // died): the re-execution re-ran calls, so its record has more attempts, and it replaces
        // the row and its attempts. Attempts only grow across re-executions, so a late write of
        // an earlier execution never replaces a later one.
        const [row] = await q.all<{
          retry_of: string | null;
          retry_link: string | null;
          attempts: unknown;
          run_id: string;
          cost_usd: unknown;
          wasted_cost_usd: unknown;
          orchestration_cost_usd: unknown;
        }>(
          'SELECT retry_of, retry_link, attempts, run_id, cost_usd, wasted_cost_usd, orchestration_cost_usd ' +
            'FROM requests WHERE id = ?',
          [rec.id],
        );
        const stored = {
          retryOf: row?.retry_of ?? null,
          retryLink: (row?.retry_link ?? null) as RecordResult['retryLink'],
        };
        if (!row || row.run_id !== rec.runId || num(row.attempts) >= rec.attempts) {
          return { inserted: false, ...stored };
        }
        await q.run(UPDATE_REQUEST, [
          ...REQUEST_COLUMNS.filter(([c]) => c !== 'id').map(([, get]) => get(rec)),
          now,
          rec.id,
        ]);
        await q.run('DELETE FROM attempts WHERE request_id = ?', [rec.id]);
        await this.insertAttempts(q, rec);
        const replacedFrom = {
          attempts: num(row.attempts),
          costUsd: num(row.cost_usd),
          wastedCostUsd: num(row.wasted_cost_usd),
          orchestrationCostUsd: num(row.orchestration_cost_usd),
        };
        return { inserted: false, replaced: true, replacedFrom, ...stored };
      }
      await this.insertAttempts(q, rec);

      if (linkable) {
        // Requests recorded before this one but started after it (within the window) are its
        // retries: an unlinked one, or one automatically linked to an older request, now
        // points here (each automatic link names the latest earlier request known).
        const later = await q.all<{ id: string; retry_link: string | null; prev_started: unknown }>(
          'SELECT s.id, s.retry_link, p.started_at AS prev_started FROM requests s ' +
            'LEFT JOIN requests p ON p.id = s.retry_of ' +
            'WHERE s.caller = ? AND s.prompt_hash = ? AND s.shadow = ? AND s.id <> ? ' +
            'AND s.started_at > ? AND s.started_at <= ?',
          [rec.caller, rec.promptHash, false, rec.id, rec.startedAt, rec.startedAt + opts.retryWindowMs],
        );
        for (const s of later) {
          const relink =
            s.retry_link === null ||
            (s.retry_link === 'auto' && (s.prev_started === null || Number(s.prev_started) < rec.startedAt));
          if (relink) {
            await q.run("UPDATE requests SET retry_of = ?, retry_link = 'auto' WHERE id = ?", [rec.id, s.id]);
          }
        }
      }
      return { inserted: true, retryOf, retryLink };
    });
  }

  /** The record's attempt rows, in one transaction with its request row. */
  private async insertAttempts(q: Sql, rec: OutcomeRecord): Promise<void> {
    for (const a of rec.attemptRows) {
      await q.run(INSERT_ATTEMPT, [
        rec.id,
        a.callIndex,
        a.rung,
        a.model,
        a.purpose,
        a.attempt,
        a.ok,
        a.errorClass,
        a.status,
        a.latencyMs,
        a.tokensIn,
        a.tokensOut,
        a.costUsd,
        a.endpoint,
        a.backoffMs,
        a.estimated,
      ]);
    }
  }

  async getRequest(id: string): Promise<RequestRow | null> {
    const [row] = await this.sql.all('SELECT * FROM requests WHERE id = ?', [id]);
    return row ? requestFromDb(row) : null;
  }

  async listRequests(filter: RequestFilter = {}): Promise<RequestRow[]> {
    const { where, params } = whereOf(filter);
    const rows = await this.sql.all(`SELECT * FROM requests ${where} ORDER BY started_at, id`, params);
    return rows.map(requestFromDb);
  }

  async attempts(requestId: string): Promise<AttemptRow[]> {
    const rows = await this.sql.all(
      'SELECT * FROM attempts WHERE request_id = ? ORDER BY call_index, attempt',
      [requestId],
    );
    return rows.map(attemptFromDb);
  }

  async addFeedback(requestId: string, fb: FeedbackInput, now = Date.now()): Promise<FeedbackRow> {
    if (typeof fb.score !== 'number' || !Number.isFinite(fb.score)) {
      throw new RangeError(`feedback score must be a finite number, got ${String(fb.score)}`);
    }
    return this.tx(async (q) => {
      const [exists] = await q.all('SELECT id FROM requests WHERE id = ?', [requestId]);
      if (!exists) throw new UnknownRequestError(requestId);
      const key = fb.key ?? null;
      if (key !== null) {
        const [dup] = await q.all('SELECT * FROM feedback WHERE request_id = ? AND key = ?', [
          requestId,
          key,
        ]);
        if (dup) return feedbackFromDb(dup);
      }
      await q.run(
        'INSERT INTO feedback (request_id, created_at, score, label, source, key) VALUES (?, ?, ?, ?, ?, ?)',
        [requestId, now, fb.score, fb.label ?? null, fb.source ?? 'api', key],
      );
      const [row] = await q.all('SELECT * FROM feedback WHERE request_id = ? ORDER BY id DESC LIMIT 1', [
        requestId,
      ]);
      return feedbackFromDb(row!);
    });
  }

  async feedback(requestId: string): Promise<FeedbackRow[]> {
    const rows = await this.sql.all('SELECT * FROM feedback WHERE request_id = ? ORDER BY id', [requestId]);
    return rows.map(feedbackFromDb);
  }

  async tenantSpend(tenant: string, range: TimeRange = {}): Promise<number> {
    const { where, params } = whereOf({ ...range, tenant, shadow: false });
    const [row] = await this.sql.all<{ spend: unknown }>(
      `SELECT COALESCE(SUM(cost_usd + orchestration_cost_usd), 0) AS spend FROM requests ${where}`,
      params,
    );
    return Number(row?.spend ?? 0);
  }

  async costsByTenant(range: TimeRange = {}): Promise<TenantCosts[]> {
    const { where, params } = whereOf(range);
    const served = (expr: string) => `SUM(CASE WHEN shadow THEN 0 ELSE ${expr} END)`;
    const rows = await this.sql.all(
      `SELECT tenant, ${served('1')} AS requests, ${served('CASE WHEN escalated THEN 1 ELSE 0 END')} AS escalated, ` +
        `${served('CASE WHEN retry_of IS NULL THEN 0 ELSE 1 END')} AS retries, ` +
        `${served('cost_usd')} AS cost_usd, ${served('baseline_cost_usd')} AS baseline_cost_usd, ` +
        `${served('wasted_cost_usd')} AS wasted_cost_usd, ${served('orchestration_cost_usd')} AS orchestration_cost_usd, ` +
        `SUM(CASE WHEN shadow THEN cost_usd ELSE 0 END) AS shadow_cost_usd ` +
        `FROM requests ${where} GROUP BY tenant ORDER BY tenant`,
      params,
    );
    return rows.map((r) => {
      const cost = num(r.cost_usd);
      const baseline = num(r.baseline_cost_usd);
      const orchestration = num(r.orchestration_cost_usd);
      return {
        tenant: (r.tenant as string | null) ?? null,
        requests: num(r.requests),
        escalated: num(r.escalated),
        retries: num(r.retries),
        costUsd: cost,
        baselineCostUsd: baseline,
        wastedCostUsd: num(r.wasted_cost_usd),
        orchestrationCostUsd: orchestration,
        savedUsd: baseline - cost - orchestration,
        shadowCostUsd: num(r.shadow_cost_usd),
      };
    });
  }

  async totals(filter: RequestFilter = {}): Promise<LedgerTotals> {
    const { where, params } = whereOf(filter);
    const [r] = await this.sql.all(
      'SELECT COUNT(*) AS requests, SUM(cost_usd) AS cost_usd, SUM(baseline_cost_usd) AS baseline_cost_usd, ' +
        'SUM(wasted_cost_usd) AS wasted_cost_usd, SUM(orchestration_actions) AS orchestration_actions, ' +
        `SUM(orchestration_cost_usd) AS orchestration_cost_usd, SUM(attempts) AS attempts FROM requests ${where}`,
      params,
    );
    return {
      requests: num(r?.requests),
      costUsd: num(r?.cost_usd),
      baselineCostUsd: num(r?.baseline_cost_usd),
      wastedCostUsd: num(r?.wasted_cost_usd),
      orchestrationActions: num(r?.orchestration_actions),
      orchestrationCostUsd: num(r?.orchestration_cost_usd),
      attempts: num(r?.attempts),
    };
  }

  // Window reads for the monitors (src/watch/monitors): each joins on the requests table so that a
  // window is always "requests started in it", the same rows listRequests returns.

  async listFeedback(range: TimeRange = {}): Promise<FeedbackRow[]> {
    const { where, params } = whereOf({ from: range.from, to: range.to }, 'r.');
    const rows = await this.sql.all(
      `SELECT f.* FROM feedback f JOIN requests r ON r.id = f.request_id ${where} ORDER BY f.request_id, f.id`,
      params,
    );
    return rows.map(feedbackFromDb);
  }

  async costsByPurpose(range: TimeRange = {}): Promise<PurposeCost[]> {
    const { where, params } = whereOf({ from: range.from, to: range.to }, 'r.');
    const rows = await this.sql.all(
      'SELECT a.request_id, a.purpose, a.model, COUNT(*) AS attempts, ' +
        'SUM(CASE WHEN a.ok THEN 1 ELSE 0 END) AS ok_attempts, SUM(a.cost_usd) AS cost_usd, ' +
        'SUM(a.tokens_in) AS tokens_in, SUM(a.tokens_out) AS tokens_out, ' +
        // Rows from before migration 3 have no `estimated` (NULL): exact, as they were recorded.
        'SUM(CASE WHEN a.estimated THEN 1 ELSE 0 END) AS estimated_attempts, ' +
        'SUM(CASE WHEN a.estimated THEN a.cost_usd ELSE 0 END) AS estimated_cost_usd ' +
        `FROM attempts a JOIN requests r ON r.id = a.request_id ${where} ` +
        'GROUP BY a.request_id, a.purpose, a.model ORDER BY a.request_id, a.purpose, a.model',
      params,
    );
    return rows.map((r) => ({
      requestId: r.request_id as string,
      purpose: r.purpose as PurposeCost['purpose'],
      model: r.model as string,
      attempts: num(r.attempts),
      okAttempts: num(r.ok_attempts),
      costUsd: num(r.cost_usd),
      tokensIn: num(r.tokens_in),
      tokensOut: num(r.tokens_out),
      estimatedAttempts: num(r.estimated_attempts),
      estimatedCostUsd: num(r.estimated_cost_usd),
    }));
  }

  async listRetriesOf(range: TimeRange = {}): Promise<RequestRow[]> {
    const { where, params } = whereOf({ from: range.from, to: range.to }, 'o.');
    const rows = await this.sql.all(
      `SELECT s.* FROM requests s JOIN requests o ON o.id = s.retry_of ${where} ORDER BY s.started_at, s.id`,
      params,
    );
    return rows.map(requestFromDb);
  }

  // Monitor evaluations: their own table and module (evaluations.ts); the ledger hands them its connection.

  saveEvaluation(
    e: { id: string; at: number; report: EvaluationReport },
    now?: number,
  ): Promise<{ inserted: boolean }> {
    return saveEvaluation(this.sql, e, now);
  }

  beginCall(key: CallKey, start: CallStart, now?: number): Promise<EarlierExecution[]> {
    // One transaction: reading the earlier executions, renaming the last and inserting this one
    // must not interleave with another execution of the same call (a re-run beside a late one).
    return this.tx((q) => beginCall(q, key, start, now));
  }

  endCall(key: CallKey, usage: CallUsage, now?: number): Promise<void> {
    return endCall(this.sql, key, usage, now);
  }

  peekCall(key: CallKey, now?: number): Promise<EarlierExecution | null> {
    return peekCall(this.sql, key, now);
  }

  latestEvaluation(q?: EvaluationQuery): Promise<StoredEvaluation | null> {
    return latestEvaluation(this.sql, q);
  }
}

/** `alias`: the requests table's alias in a join (`r.`), so its columns are not ambiguous. */
function whereOf(f: RequestFilter, alias = ''): { where: string; params: unknown[] } {
  const c = (column: string) => `${alias}${column}`;
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (f.ids) {
    if (f.ids.length === 0) return { where: 'WHERE 1 = 0', params: [] };
    clauses.push(`${c('id')} IN (${f.ids.map(() => '?').join(', ')})`);
    params.push(...f.ids);
  }
  if (f.tenant !== undefined) {
    clauses.push(`${c('tenant')} = ?`);
    params.push(f.tenant);
  }
  if (f.shadow !== undefined) {
    clauses.push(`${c('shadow')} = ?`);
    params.push(f.shadow);
  }
  if (f.from !== undefined) {
    clauses.push(`${c('started_at')} >= ?`);
    params.push(f.from);
  }
  if (f.to !== undefined) {
    clauses.push(`${c('started_at')} < ?`);
    params.push(f.to);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}
function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}
function boolOrNull(v: unknown): boolean | null {
  return v === null || v === undefined ? null : bool(v);
}
/** JSONB comes back parsed from PostgreSQL, TEXT from SQLite. */
function json<T>(v: unknown): T | null {
  if (v === null || v === undefined) return null;
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

function requestFromDb(r: Row): RequestRow {
  return {
    id: r.id as string,
    runId: r.run_id as string,
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
    latencyMs: num(r.latency_ms),
    tenant: (r.tenant as string | null) ?? null,
    caller: (r.caller as string | null) ?? null,
    task: r.task as string,
    taskType: r.task_type as string,
    route: r.route as string,
    servedAs: r.served_as as string,
    status: r.status as string,
    rungModels: json<string[]>(r.rung_models) ?? [],
    finalModel: (r.final_model as string | null) ?? null,
    finalRung: numOrNull(r.final_rung),
    escalated: bool(r.escalated),
    escalations: json(r.escalations) ?? [],
    lastReason: (r.last_reason as string | null) ?? null,
    attempts: num(r.attempts),
    costUsd: num(r.cost_usd),
    baselineCostUsd: num(r.baseline_cost_usd),
    baselineEstimated: bool(r.baseline_estimated),
    wastedCostUsd: num(r.wasted_cost_usd),
    orchestrationActions: num(r.orchestration_actions),
    orchestrationCostUsd: num(r.orchestration_cost_usd),
    confidenceModel: (r.confidence_model as string | null) ?? null,
    confidenceSource: (r.confidence_source as string | null) ?? null,
    rawConfidence: numOrNull(r.raw_confidence),
    calibratedConfidence: numOrNull(r.calibrated_confidence),
    schemaValid: boolOrNull(r.schema_valid),
    configVersion: r.config_version as string,
    classifierVersion: (r.classifier_version as string | null) ?? null,
    calibrationVersion: r.calibration_version as string,
    decisionMs: numOrNull(r.decision_ms),
    features: json(r.features),
    shadow: bool(r.shadow),
    shadowOf: (r.shadow_of as string | null) ?? null,
    shadowAgreement: json(r.shadow_agreement),
    shadowAgreed: boolOrNull(r.shadow_agreed),
    wouldHaveSavedUsd: numOrNull(r.would_have_saved_usd),
    wouldHaveEscalated: boolOrNull(r.would_have_escalated),
    retryOf: (r.retry_of as string | null) ?? null,
    retryLink: (r.retry_link as RequestRow['retryLink']) ?? null,
    promptHash: (r.prompt_hash as string | null) ?? null,
    traceVersion: num(r.trace_version),
    recordedAt: num(r.recorded_at),
  };
}

function attemptFromDb(r: Row): AttemptRow {
  return {
    callIndex: num(r.call_index),
    rung: num(r.rung),
    model: r.model as string,
    purpose: r.purpose as AttemptRow['purpose'],
    attempt: num(r.attempt),
    ok: bool(r.ok),
    errorClass: (r.error_class as string | null) ?? null,
    status: numOrNull(r.status),
    latencyMs: num(r.latency_ms),
    tokensIn: num(r.tokens_in),
    tokensOut: num(r.tokens_out),
    costUsd: num(r.cost_usd),
    endpoint: numOrNull(r.endpoint),
    backoffMs: numOrNull(r.backoff_ms),
    estimated: bool(r.estimated ?? false),
  };
}

function feedbackFromDb(r: Row): FeedbackRow {
  return {
    id: num(r.id),
    requestId: r.request_id as string,
    createdAt: num(r.created_at),
    score: num(r.score),
    label: (r.label as string | null) ?? null,
    source: r.source as string,
    key: (r.key as string | null) ?? null,
  };
}
