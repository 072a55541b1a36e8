import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch, type BatchProgress, type BatchRequest } from '../../src/doors/client/batch';
import type { CascadeClient } from '../../src/doors/client/cascade-client';
import { summarize, type BatchSummary } from '../../src/doors/client/summary';
import { EXIT } from '../../src/cli/errors';
import { applyRowDefaults, EXIT_INTERRUPTED, runCommand } from '../../src/cli/commands/run';
import { ESCALATION_REASONS, type Trace } from '../../src/request/router/trace';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { scriptFaults, startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const THRESHOLD = 0.7;

const confident = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) >= THRESHOLD + 0.05;
const unsure = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) < THRESHOLD - 0.1;
// 8 rows the small model answers, 4 it escalates: rows of the synthetic set, as they are.
const ROWS = [...pickRows(MMLU, 8, confident), ...pickRows(MMLU, 4, unsure)];

let stack: Stack;
let dir: string;
let seq = 0;
/** Workflow ids are request ids: every test run uses fresh ones (a repeated id returns the first result). */
const prefix = () => `rb-${Date.now().toString(36)}-${++seq}-${Math.random().toString(36).slice(2, 6)}-`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-batch-'));
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      mmlu: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
        limits: { maxAttemptsPerRung: 2, initialBackoffMs: 20, maxBackoffMs: 50 },
      },
    },
  });
});
afterAll(async () => {
  await stack?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The batch of a file: rows 1-6, an invalid request on line 7, rows 7-12 on lines 8-13. */
function batchWithInvalidLine(p: string): BatchRequest[] {
  const values: unknown[] = ROWS.map((r) => applyRowDefaults(r, { idPrefix: p }));
  values.splice(6, 0, { id: `${p}no-messages`, task: 'mmlu' });
  return values.map((value, i) => ({ line: i + 1, value }));
}

const sum = (traces: Trace[], f: (t: Trace) => number) => traces.reduce((s, t) => s + f(t), 0);
/** Attempts beyond the first of each call. */
const retriesOf = (t: Trace) => t.calls.reduce((s, c) => s + Math.max(0, c.attempts.length - 1), 0);

/** Every figure of the summary against sums computed here over the traces. */
function expectSummaryOf(s: BatchSummary, traces: Trace[]): void {
  expect(s.requests).toBe(traces.length);
  expect(s.answered).toBe(traces.filter((t) => t.status === 'answered').length);
  expect(s.failed).toBe(traces.filter((t) => t.status === 'failed').length);
  expect(s.escalated).toBe(traces.filter((t) => t.escalations.length > 0).length);
  expect(s.costUsd).toBeCloseTo(
    sum(traces, (t) => t.totals.costUsd),
    12,
  );
  expect(s.baselineCostUsd).toBeCloseTo(
    sum(traces, (t) => t.totals.baselineCostUsd),
    12,
  );
  expect(s.wastedCostUsd).toBeCloseTo(
    sum(traces, (t) => t.totals.wastedCostUsd),
    12,
  );
  expect(s.orchestrationCostUsd).toBeCloseTo(
    sum(traces, (t) => t.totals.orchestrationCostUsd),
    12,
  );
  expect(s.savingsUsd).toBeCloseTo(s.baselineCostUsd - s.costUsd - s.orchestrationCostUsd, 12);
  expect(s.attempts).toBe(sum(traces, (t) => t.totals.attempts));
  expect(s.attempts).toBe(sum(traces, (t) => t.calls.flatMap((c) => c.attempts).length));
  expect(s.retries).toBe(sum(traces, retriesOf));
  expect(s.orchestrationActions).toBe(sum(traces, (t) => t.totals.orchestrationActions));
  // escalationsByReason: the closed list, and its counts add up to every escalation event.
  expect(Object.keys(s.escalationsByReason).sort()).toEqual([...ESCALATION_REASONS].sort());
  const events = Object.values(s.escalationsByReason).reduce((a, n) => a + n, 0);
  expect(events).toBe(sum(traces, (t) => t.escalations.length));
  for (const reason of ESCALATION_REASONS) {
    expect(s.escalationsByReason[reason]).toBe(
      sum(traces, (t) => t.escalations.filter((e) => e.reason === reason).length),
    );
  }
}

/** Counts requests in flight through a real client: started and not yet finished. */
function countingClient(cascade: CascadeClient): { client: CascadeClient; maxInFlight: () => number } {
  let inFlight = 0;
  let max = 0;
  const client = {
    prepare: (raw: unknown) => cascade.prepare(raw),
    start: async (raw: unknown) => {
      inFlight++;
      max = Math.max(max, inFlight);
      const started = await cascade.start(raw);
      const result = started.handle.result.bind(started.handle);
      return {
        ...started,
        handle: {
          ...started.handle,
          result: () => result().finally(() => inFlight--),
        },
      };
    },
  } as unknown as CascadeClient;
  return { client, maxInFlight: () => max };
}

describe('runBatch on a real dev server and the recorded-model server', () => {
  it('runs every valid row, skips and reports the invalid line, and the summary adds up', async () => {
    const p = prefix();
    const requests = batchWithInvalidLine(p);
    const progress: BatchProgress[] = [];
    const { client, maxInFlight } = countingClient(stack.cascade);
    const result = await runBatch(client, requests, { concurrency: 3, onProgress: (x) => progress.push(x) });

    expect(result.interrupted).toBe(false);
    expect(result.pending).toEqual([]);
    expect(result.notStarted).toBe(0);
    // The invalid line is reported by its line and field; the 12 valid ones all ran and answered.
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({
      line: 7,
      requestId: `${p}no-messages`,
      kind: 'invalid_request',
    });
    expect(result.errors[0]!.error).toMatch(/messages/);
    expect(result.traces).toHaveLength(12);
    expect(result.traces.every((t) => t.status === 'answered')).toBe(true);
    // In input order, whatever order they finished in.
    expect(result.traces.map((t) => t.requestId)).toEqual(ROWS.map((r) => p + r.id));
    expect(maxInFlight()).toBe(3);

    // Progress: one report per request, the invalid one included, ending at total.
    expect(progress.map((x) => x.done)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(progress.every((x) => x.total === 13)).toBe(true);
    expect(progress.filter((x) => x.error?.kind === 'invalid_request')).toHaveLength(1);
    expect(progress.filter((x) => x.trace)).toHaveLength(12);

    const s = summarize(result.traces);
    expectSummaryOf(s, result.traces);
    // What the recorded models did on these rows: 8 served small, 4 escalated for low confidence.
    expect(s.byFinalModel).toEqual({ [stack.modelId(SMALL)]: 8, [stack.modelId(LARGE)]: 4 });
    expect(s.escalationsByReason.low_confidence).toBe(4);
    expect(s.escalated).toBe(4);
    expect(s.escalationRate).toBeCloseTo(4 / 12, 12);
    expect(s.wastedCostUsd).toBeGreaterThan(0);
    expect(s.baselineEstimatedShare).toBeCloseTo(8 / 12, 12);
    expect(s.retries).toBe(0);
  });

  it('reports a request id repeated in the batch as invalid on its later line', async () => {
    const p = prefix();
    const row = applyRowDefaults(ROWS[0], { idPrefix: p });
    const result = await runBatch(
      stack.cascade,
      [
        { line: 1, value: row },
        { line: 2, value: row },
      ],
      { concurrency: 2 },
    );
    expect(result.traces).toHaveLength(1);
    expect(result.errors).toEqual([
      expect.objectContaining({ line: 2, kind: 'invalid_request', requestId: `${p}${ROWS[0]!.id}` }),
    ]);
    expect(result.errors[0]!.error).toMatch(/duplicate id.*line 1/);
  });

  it('counts a request whose every rung fails in traces and reports it as failed', async () => {
    const p = prefix();
    await scriptFaults(stack.recorded, SMALL, ['500', '500']);
    await scriptFaults(stack.recorded, LARGE, ['500', '500']);
    const result = await runBatch(
      stack.cascade,
      [{ line: 4, value: applyRowDefaults(ROWS[0], { idPrefix: p }) }],
      {
        concurrency: 1,
      },
    );
    expect(result.traces).toHaveLength(1);
    const [trace] = result.traces;
    expect(trace!.status).toBe('failed');
    expect(result.errors).toEqual([
      { line: 4, requestId: trace!.requestId, error: trace!.error, kind: 'failed' },
    ]);
    const s = summarize(result.traces);
    expectSummaryOf(s, result.traces);
    expect(s).toMatchObject({ failed: 1, answered: 0, attempts: 4, retries: 2 });
    expect(s.escalationsByReason.rung_failed).toBe(2);
  });

  it('stops starting requests when aborted; started ones finish durably in Temporal', async () => {
    const p = prefix();
    const requests = ROWS.slice(0, 6).map((r, i) => ({
      line: i + 1,
      value: applyRowDefaults(r, { idPrefix: p }),
    }));
    const controller = new AbortController();
    const result = await runBatch(stack.cascade, requests, {
      concurrency: 2,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(result.interrupted).toBe(true);
    // Two were started (concurrency 2); whichever had not finished at the abort is pending.
    expect(result.traces.length + result.pending.length).toBe(2);
    expect(result.traces.length).toBeGreaterThanOrEqual(1);
    expect(result.notStarted).toBe(4);
    expect(result.errors).toEqual([]);
    for (const { requestId } of result.pending) {
      const trace = await stack.client.workflow.getHandle(requestId).result();
      expect((trace as Trace).status).toBe('answered');
    }
    // The requests never started have no workflow.
    const never = requests.slice(2).map((r) => (r.value as { id: string }).id);
    for (const id of never) {
      const err = await stack.client.workflow
        .getHandle(id)
        .describe()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String(err)).toMatch(/not found/i);
    }
  });

  it('starts nothing when the signal is already aborted', async () => {
    const p = prefix();
    const controller = new AbortController();
    controller.abort();
    const result = await runBatch(
      stack.cascade,
      [{ line: 1, value: applyRowDefaults(ROWS[0], { idPrefix: p }) }],
      { concurrency: 4, signal: controller.signal },
    );
    expect(result).toMatchObject({ traces: [], errors: [], pending: [], notStarted: 1, interrupted: true });
  });
});

describe('cascade run, in-process', () => {
  function capture(): { write(s: string): boolean; text: () => string } {
    let text = '';
    return {
      write: (s: string) => {
        text += s;
        return true;
      },
      text: () => text,
    };
  }

  function writeFile(name: string, rows: unknown[]): string {
    const file = path.join(dir, name);
    // Rows of a recorded-outcome set as they are, blank lines between some of them.
    fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n\n') + '\n');
    return file;
  }

  it('--json prints one parseable JSON document and exits 1 when a line is invalid', async () => {
    const p = prefix();
    const rows: unknown[] = ROWS.slice(0, 5).map((r) => ({ ...r, task: undefined }));
    rows.push({ id: 'bad id with spaces', task: 'mmlu', prompt: 'hi' });
    const file = writeFile('json.jsonl', rows);
    const stdout = capture();
    const stderr = capture();
    const code = await runCommand({
      file,
      cascade: stack.cascade,
      concurrency: 4,
      task: 'mmlu', // the rows above name no task
      idPrefix: p,
      json: true,
      stdout,
      stderr,
    });
    expect(code).toBe(EXIT.failure);
    const out = stdout.text();
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    const doc = JSON.parse(out) as {
      summary: BatchSummary;
      errors: { line: number; kind: string; error: string }[];
      requests: {
        id: string;
        status: string;
        route: string;
        finalModel: string;
        escalations: string[];
        costUsd: number;
      }[];
      interrupted: boolean;
    };
    expect(doc.interrupted).toBe(false);
    expect(doc.summary.requests).toBe(5);
    expect(doc.summary.answered).toBe(5);
    expect(doc.requests.map((r) => r.id)).toEqual(ROWS.slice(0, 5).map((r) => p + r.id));
    expect(doc.requests[0]).toMatchObject({ status: 'answered', route: 'cascade', escalations: [] });
    expect(doc.summary.costUsd).toBeCloseTo(
      doc.requests.reduce((a, r) => a + r.costUsd, 0),
      12,
    );
    // The bad line is the 6th row, written after five rows and five blank lines: line 11.
    expect(doc.errors).toEqual([expect.objectContaining({ line: 11, kind: 'invalid_request' })]);
    expect(doc.errors[0]!.error).toMatch(/id/);
    expect(stderr.text()).toBe('');
  });

  it('prints the summary table and exits 0 when every request is answered; a rerun returns the first results', async () => {
    const p = prefix();
    const file = writeFile('text.jsonl', ROWS.slice(5, 10));
    const run = async () => {
      const stdout = capture();
      const code = await runCommand({
        file,
        cascade: stack.cascade,
        concurrency: 2,
        idPrefix: p,
        stdout,
        stderr: capture(),
      });
      return { code, out: stdout.text() };
    };
    const first = await run();
    expect(first.code).toBe(EXIT.ok);
    expect(first.out).toMatch(/Requests\s+5/);
    expect(first.out).toMatch(/low_confidence\s+\d/);
    expect(first.out).toContain('large-only baseline');
    expect(first.out).not.toMatch(/Invalid requests|Failed requests/);
    // Same ids: the workflows are not run again, the same figures come back.
    const again = await run();
    expect(again).toEqual(first);
  });

  it('refuses a file with a line that is not JSON before starting anything', async () => {
    const file = path.join(dir, 'broken.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(ROWS[0])}\n{"id": "x",\n`);
    const err = await runCommand({ file, cascade: stack.cascade, concurrency: 1, stdout: capture() }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ exitCode: EXIT.usage });
    expect(String((err as Error).message)).toContain(`${file}:2:`);
  });

  it('returns 130 when interrupted before anything started', async () => {
    const file = writeFile('interrupted.jsonl', ROWS.slice(0, 2));
    const controller = new AbortController();
    controller.abort();
    const stdout = capture();
    const code = await runCommand({
      file,
      cascade: stack.cascade,
      concurrency: 1,
      idPrefix: prefix(),
      stdout,
      stderr: capture(),
      signal: controller.signal,
    });
    expect(code).toBe(EXIT_INTERRUPTED);
    expect(stdout.text()).toMatch(/Interrupted: 0 started and still running, 2 not started/);
  });
});
