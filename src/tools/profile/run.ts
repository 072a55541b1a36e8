/**
 * Running a traffic sample through every candidate model, as Temporal workflows (one static
 * `cascadeWorkflow` per (request, model) pair, workflow id `profile-<profileId>-<requestId>-<model>`),
 * with bounded concurrency, appending each result to `DIR/profile.jsonl` as it finishes.
 *
 * Resumable, and nothing finished is paid twice:
 * - pairs already in `profile.jsonl` are skipped;
 * - the rest are started with the client's REJECT_DUPLICATE semantics and conflict policy FAIL
 *   (`failIfExists`): a pair whose workflow a killed run had started is found (`existing`) and its
 *   handle's `result()` collected: a running one is joined, a finished one returns its trace. No
 *   new workflow and no new model call. The record says `reattached: true`.
 */
import type { CascadeClient } from '../../doors/client/cascade-client';
import { abortRace } from '../../doors/client/abort-race';
import { clientErrorMessage } from '../../doors/client/error-message';
import { RequestError } from '../../doors/client/request';
import { normalizeAnswer } from '../../request/router/agreement';
import { RAW_LOGPROB_FLOOR } from '../../request/router/confidence';
import { checkJsonAnswer } from '../../request/router/json-schema';
import type { Trace } from '../../request/router/trace';
import { endpointName, profileInput } from './policy';
import type { SampleRow } from './sample';
import {
  pairKey,
  ProfileWriter,
  readProfile,
  RECORD_VERSION,
  type ProfileRecord,
  type QualitySignals,
} from './store';

export interface ProfileRunOptions {
  cascade: CascadeClient;
  rows: SampleRow[];
  /** Config model ids. */
  models: string[];
  profileId: string;
  dir: string;
  concurrency: number;
  onProgress?: (p: ProfileProgress) => void;
  signal?: AbortSignal;
}

export interface ProfileProgress {
  done: number;
  total: number;
  record?: ProfileRecord;
  error?: ProfileError;
}

export interface ProfileError {
  requestId: string;
  model: string;
  line: number;
  error: string;
}

export interface ProfileRunResult {
  /** Pairs of the sample × models. */
  total: number;
  /** Found in profile.jsonl at the start and skipped. */
  skipped: number;
  /** Finished by this run (reattached included). */
  finished: number;
  /** Of those, workflows an earlier run had started: collected, not started again. */
  reattached: number;
  errors: ProfileError[];
  /** Started but unfinished when aborted: still running in Temporal; a rerun collects them. */
  pending: number;
  notStarted: number;
  interrupted: boolean;
  tornLines: number;
}

interface Pair {
  row: SampleRow;
  model: string;
}

export async function runProfile(opts: ProfileRunOptions): Promise<ProfileRunResult> {
  const { cascade, rows, models, profileId, dir, signal } = opts;
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${opts.concurrency}`);
  }
  const existing = readProfile(dir);
  const done = new Set(existing.records.map((r) => pairKey(r.requestId, r.model)));
  const pairs: Pair[] = [];
  let skipped = 0;
  for (const row of rows) {
    for (const model of models) {
      if (done.has(pairKey(row.requestId, model))) skipped++;
      else pairs.push({ row, model });
    }
  }
  const total = rows.length * models.length;
  let settled = skipped;
  let finished = 0;
  let reattached = 0;
  let pending = 0;
  const errors: ProfileError[] = [];
  const writer = new ProfileWriter(dir);

  const { aborted, release } = abortRace(signal);

  let next = 0;
  const one = async ({ row, model }: Pair): Promise<void> => {
    const fail = (err: unknown) => {
      const e: ProfileError = {
        requestId: row.requestId,
        model,
        line: row.line,
        error: clientErrorMessage(err),
      };
      errors.push(e);
      settled++;
      opts.onProgress?.({ done: settled, total, error: e });
    };
    let result: Promise<Trace>;
    let wasExisting = false;
    let workflowId: string;
    let schema: Record<string, unknown> | null;
    try {
      const built = profileInput(row.value, cascade.config, model, { profileId });
      workflowId = built.workflowId;
      schema = built.input.policy.responseSchema;
      const started = await cascade.start(null, {
        prepared: built.input,
        workflowId,
        failIfExists: true,
      });
      wasExisting = started.existing === true;
      result = started.handle.result();
    } catch (err) {
      fail(err instanceof RequestError ? err.message : err);
      return;
    }
    result.catch(() => undefined);
    let trace: Trace | 'aborted';
    try {
      trace = await Promise.race([result, aborted]);
    } catch (err) {
      fail(err);
      return;
    }
    if (trace === 'aborted') {
      pending++;
      return;
    }
    const record = toRecord(trace, {
      row,
      model,
      profileId,
      workflowId,
      schema,
      reattached: wasExisting,
      name: endpointName(cascade.config, model),
    });
    writer.append(record);
    finished++;
    if (wasExisting) reattached++;
    settled++;
    opts.onProgress?.({ done: settled, total, record });
  };
  const worker = async () => {
    while (next < pairs.length && !signal?.aborted) await one(pairs[next++]!);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, pairs.length) }, worker));
  } finally {
    release();
    writer.close();
  }
  const notStarted = pairs.length - next;
  return {
    total,
    skipped,
    finished,
    reattached,
    errors,
    pending,
    notStarted,
    interrupted: pending > 0 || notStarted > 0,
    tornLines: existing.skippedLines,
  };
}

function toRecord(
  trace: Trace,
  ctx: {
    row: SampleRow;
    model: string;
    profileId: string;
    workflowId: string;
    schema: Record<string, unknown> | null;
    reattached: boolean;
    name: string;
  },
): ProfileRecord {
  const attempts = trace.calls.flatMap((c) => c.attempts);
  const ok = attempts.filter((a) => a.ok);
  const answer = trace.final.answer;
  return {
    v: RECORD_VERSION,
    profileId: ctx.profileId,
    requestId: ctx.row.requestId,
    line: ctx.row.line,
    task: ctx.row.task,
    model: ctx.model,
    workflowId: ctx.workflowId,
    status: trace.status === 'answered' && answer !== null ? 'answered' : 'failed',
    answer,
    ...(trace.error ? { error: trace.error } : {}),
    costUsd: trace.totals.costUsd,
    latencyMs: attempts.reduce((s, a) => s + a.latencyMs, 0),
    tokensIn: ok.reduce((s, a) => s + a.tokensIn, 0),
    tokensOut: ok.reduce((s, a) => s + a.tokensOut, 0),
    attempts: attempts.length,
    orchestrationActions: trace.totals.orchestrationActions,
    orchestrationCostUsd: trace.totals.orchestrationCostUsd,
    quality: qualityOf(answer, ctx.row, ctx.name, ctx.model, ctx.schema),
    reattached: ctx.reattached,
    finishedAt: new Date().toISOString(),
  };
}

/** Schema validity, and the sample's reference label for this answer (see QualitySignals). */
export function qualityOf(
  answer: string | null,
  row: SampleRow,
  name: string,
  modelId: string,
  schema: Record<string, unknown> | null,
): QualitySignals {
  const label = row.labels[name] ?? row.labels[modelId];
  let correct: boolean | null = null;
  let correctSource: QualitySignals['correctSource'] = null;
  // A recorded label grades the recorded answer: use it only when this is that answer.
  if (
    answer !== null &&
    typeof label?.correct === 'boolean' &&
    (typeof label.answer !== 'string' || normalizeAnswer(label.answer) === normalizeAnswer(answer))
  ) {
    correct = label.correct;
    correctSource = 'recorded-label';
  } else if (answer !== null && row.reference !== null) {
    correct = normalizeAnswer(answer) === normalizeAnswer(row.reference);
    correctSource = 'reference';
  }
  const raw = label?.raw_confidence;
  return {
    schemaValid: schema === null ? null : answer !== null && checkJsonAnswer(schema, answer).valid,
    correct,
    correctSource,
    // -Infinity (log 0) is kept as the floor calibration reads it as; NaN is no confidence.
    rawConfidence: typeof raw === 'number' && !Number.isNaN(raw) ? Math.max(raw, RAW_LOGPROB_FLOOR) : null,
    confidenceKind: typeof label?.confidence_kind === 'string' ? label.confidence_kind : null,
  };
}
