/**
 * The ledger end to end, on the real dev server and both databases: requests run through real
 * cascade workflows (recorded-model server over HTTP), the record-outcome activity writes them,
 * and then:
 * - the ledger's sums of cost, baseline and wasted cost equal the sums over the traces;
 * - `retryOf` and automatic linking (same caller and prompt within the window) produce the pairs;
 * - a scrape of the worker's /metrics shows counters that agree with the ledger;
 * - shadow children are recorded apart; feedback attaches; a tenant over its cap is refused at start.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RequestError } from '../../src/doors/client/request';
import type { Ledger, RequestRow } from '../../src/request/ledger/types';
import type { Trace } from '../../src/request/router/trace';
import { parseSamples, type Sample } from '../../src/watch/telemetry/prometheus-text';
import { shippedData } from '../helpers/data';
import { describeEachLedger, freshLedger } from '../helpers/ledgers';
import { readRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';

function sum<T>(xs: T[], f: (x: T) => number): number {
  return xs.reduce((s, x) => s + f(x), 0);
}

async function poll<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 100 && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  if (!done(v)) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
  return v;
}

describeEachLedger('ledger end to end', (backend) => {
  let stack: Stack;
  let ledger: Ledger;
  const run = `${backend.name}-${Date.now().toString(36)}`;
  const rows = readRows(MMLU).slice(0, 16);
  const req = (row: DataRow, id: string, extra: Record<string, unknown> = {}) => ({
    ...row,
    id: `${run}-${id}`,
    task: 'mmlu',
    ...extra,
  });
  const traces: Trace[] = [];

  beforeAll(async () => {
    ledger = (await freshLedger(backend)).ledger;
    stack = await startStack({
      dataFiles: [MMLU],
      ledger,
      metricsPort: 0,
      ledgerConfig: { retryWindowMs: 10 * 60_000 },
      tenants: { capped: { monthlySpendCapUsd: 1e-9 }, roomy: { monthlySpendCapUsd: 1000 } },
      models: {
        [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
        [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
      },
      tasks: {
        mmlu: {
          route: 'cascade',
          rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.7 }, { model: LARGE }],
        },
        shadowed: {
          route: 'cascade',
          rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.7 }, { model: LARGE }],
          rollout: 0,
          shadow: { enabled: true, sampleRate: 1 },
        },
      },
    });
    // A batch over two tenants: some stand on the small model, some escalate.
    const batch = rows
      .slice(0, 10)
      .map((row, i) =>
        stack.cascade.run(
          req(row, `b${i}`, { metadata: { tenant: i % 2 ? 'acme' : 'beta', caller: `user-${i}` } }),
        ),
      );
    traces.push(...(await Promise.all(batch)));
  });
  afterAll(async () => {
    await stack?.close();
    await ledger?.close();
    await backend.cleanup();
  });

  it('has one row per request whose figures are the trace’s, and the sums equal the sums over the traces', async () => {
    expect(traces.some((t) => t.escalations.length > 0)).toBe(true);
    expect(traces.some((t) => t.escalations.length === 0)).toBe(true);
    const ids = traces.map((t) => t.requestId);
    const recorded = await ledger.listRequests({ ids });
    expect(recorded.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const t of traces) {
      const row = recorded.find((r) => r.id === t.requestId)!;
      expect(row).toMatchObject({
        route: 'cascade',
        status: t.status,
        finalModel: t.final.model,
        escalated: t.escalations.length > 0,
        attempts: t.totals.attempts,
        orchestrationActions: t.totals.orchestrationActions,
        classifierVersion: t.decision!.classifierVersion,
        configVersion: stack.config.version,
      });
      expect(row.costUsd).toBe(t.totals.costUsd);
      expect(row.baselineCostUsd).toBe(t.totals.baselineCostUsd);
      expect(row.wastedCostUsd).toBe(t.totals.wastedCostUsd);
      const attempts = await ledger.attempts(t.requestId);
      expect(attempts.map((a) => [a.callIndex, a.model, a.purpose, a.attempt, a.ok, a.costUsd])).toEqual(
        t.calls.flatMap((c, i) => c.attempts.map((a) => [i, c.model, c.purpose, a.attempt, a.ok, a.costUsd])),
      );
      // The record action is counted in the trace the caller got, and in the ledger.
      expect(row.latencyMs).toBeGreaterThan(0);
    }
    const totals = await ledger.totals({ ids });
    expect(totals.requests).toBe(traces.length);
    expect(totals.costUsd).toBeCloseTo(
      sum(traces, (t) => t.totals.costUsd),
      12,
    );
    expect(totals.baselineCostUsd).toBeCloseTo(
      sum(traces, (t) => t.totals.baselineCostUsd),
      12,
    );
    expect(totals.wastedCostUsd).toBeCloseTo(
      sum(traces, (t) => t.totals.wastedCostUsd),
      12,
    );
    expect(totals.orchestrationActions).toBe(sum(traces, (t) => t.totals.orchestrationActions));
    expect(totals.attempts).toBe(sum(traces, (t) => t.totals.attempts));

    const byTenant = await ledger.costsByTenant();
    for (const tenant of ['acme', 'beta']) {
      const mine = traces.filter((_, i) => (i % 2 ? 'acme' : 'beta') === tenant);
      const t = byTenant.find((x) => x.tenant === tenant)!;
      expect(t.requests).toBe(mine.length);
      expect(t.costUsd).toBeCloseTo(
        sum(mine, (x) => x.totals.costUsd),
        12,
      );
      expect(t.savedUsd).toBeCloseTo(
        sum(mine, (x) => x.totals.baselineCostUsd - x.totals.costUsd - x.totals.orchestrationCostUsd),
        12,
      );
    }
  });

  it('links user retries end to end: explicit retryOf, and automatically by caller and prompt', async () => {
    const row = rows[12]!;
    const first = await stack.cascade.run(req(row, 'r-first', { metadata: { caller: 'alice' } }));
    // The user tries again with the same prompt: linked automatically.
    const again = await stack.cascade.run(req(row, 'r-again', { metadata: { caller: 'alice' } }));
    // Someone else asking the same thing is not a retry.
    const other = await stack.cascade.run(req(row, 'r-other', { metadata: { caller: 'bob' } }));
    // A client that knows it retries says so, whatever the prompt.
    const explicit = await stack.cascade.run(
      req(rows[13]!, 'r-explicit', { retryOf: first.requestId, metadata: { caller: 'alice' } }),
    );
    const got = new Map(
      (
        await ledger.listRequests({
          ids: [first, again, other, explicit].map((t) => t.requestId),
        })
      ).map((r) => [r.id, r]),
    );
    const pair = (t: Trace) => {
      const r = got.get(t.requestId)!;
      return [r.retryOf, r.retryLink];
    };
    expect(pair(first)).toEqual([null, null]);
    expect(pair(again)).toEqual([first.requestId, 'auto']);
    expect(pair(other)).toEqual([null, null]);
    expect(pair(explicit)).toEqual([first.requestId, 'explicit']);
    expect(got.get(again.requestId)!.promptHash).toBe(got.get(first.requestId)!.promptHash);
  });

  it('records shadow children apart, with their agreement and what routing would have saved', async () => {
    const served = await Promise.all(
      rows.slice(14, 16).map((row, i) => stack.cascade.run(req(row, `s${i}`, { task: 'shadowed' }))),
    );
    const shadowIds = served.map((t) => `${t.requestId}:shadow`);
    const shadows = await poll(
      'the shadow rows',
      () => ledger.listRequests({ ids: shadowIds }),
      (r) => r.length === shadowIds.length,
    );
    for (const s of shadows) {
      const parent = served.find((t) => `${t.requestId}:shadow` === s.id)!;
      expect(s).toMatchObject({ shadow: true, shadowOf: parent.requestId, route: 'cascade', retryOf: null });
      expect(s.shadowAgreed).not.toBeNull();
      expect(s.wouldHaveSavedUsd).toBeCloseTo(parent.totals.costUsd - s.costUsd, 12);
      const child: Trace = await stack.client.workflow.getHandle(s.id).result();
      expect(s.costUsd).toBe(child.totals.costUsd);
    }
    const parents = await ledger.listRequests({ ids: served.map((t) => t.requestId) });
    expect(parents.map((p) => [p.shadow, p.servedAs])).toEqual([
      [false, 'baseline-shadow'],
      [false, 'baseline-shadow'],
    ]);
  });

  it('attaches feedback through the client; an unknown id is refused', async () => {
    const id = traces[0]!.requestId;
    const fb = await stack.cascade.feedback(id, { score: 0, label: 'wrong', source: 'qa' });
    expect(fb).toMatchObject({ requestId: id, score: 0, label: 'wrong', source: 'qa' });
    expect(await ledger.feedback(id)).toEqual([fb]);
    await expect(stack.cascade.feedback(`${run}-never-ran`, { score: 1 })).rejects.toThrow(/no request/);
  });

  it('refuses a request of a tenant at its monthly spend cap, before anything starts', async () => {
    const ok = await stack.cascade.run(req(rows[0]!, 'cap-1', { metadata: { tenant: 'capped' } }));
    expect(ok.status).toBe('answered');
    const refused = stack.cascade.start(req(rows[1]!, 'cap-2', { metadata: { tenant: 'capped' } }));
    await expect(refused).rejects.toThrow(RequestError);
    const err = (await refused.catch((e: unknown) => e)) as RequestError;
    expect(err.issues[0]!.path).toBe('metadata.tenant');
    expect(err.message).toMatch(
      /spend_cap: tenant "capped" has spent [0-9.]+ USD in \d{4}-\d{2} \(UTC\).*cap of 1e-9 USD/,
    );
    await expect(stack.client.workflow.getHandle(`${run}-cap-2`).describe()).rejects.toThrow(/not found/i);
    // Under its cap, a tenant is served.
    const roomy = await stack.cascade.run(req(rows[1]!, 'cap-3', { metadata: { tenant: 'roomy' } }));
    expect(roomy.status).toBe('answered');
  });

  it("shows on /metrics counters that agree with the ledger (only this worker's writes)", async () => {
    const all: RequestRow[] = await ledger.listRequests();
    const served = all.filter((r) => !r.shadow);
    const shadows = all.filter((r) => r.shadow);
    const text = await (await fetch(stack.workers.metricsServer!.url)).text();
    const total = (name: string, where: (s: Sample) => boolean = () => true) =>
      sum(parseSamples(text, name).filter(where), (s) => s.value);

    expect(total('cascade_requests_total')).toBe(served.length);
    for (const model of new Set(served.map((r) => r.finalModel ?? 'none'))) {
      expect(total('cascade_requests_total', (s) => s.labels.final_model === model)).toBe(
        served.filter((r) => (r.finalModel ?? 'none') === model).length,
      );
    }
    expect(total('cascade_shadow_requests_total')).toBe(shadows.length);
    expect(total('cascade_escalations_total', (s) => s.labels.reason === 'low_confidence')).toBe(
      sum(served, (r) => r.escalations.filter((e) => e.reason === 'low_confidence').length),
    );
    expect(total('cascade_escalations_total')).toBe(sum(served, (r) => r.escalations.length));
    expect(total('cascade_cost_usd_total')).toBeCloseTo(
      sum(served, (r) => r.costUsd),
      12,
    );
    expect(total('cascade_baseline_cost_usd_total')).toBeCloseTo(
      sum(served, (r) => r.baselineCostUsd),
      12,
    );
    expect(total('cascade_wasted_cost_usd_total')).toBeCloseTo(
      sum(served, (r) => r.wastedCostUsd),
      12,
    );
    expect(total('cascade_orchestration_cost_usd_total')).toBeCloseTo(
      sum(served, (r) => r.orchestrationCostUsd),
      12,
    );
    expect(total('cascade_shadow_cost_usd_total')).toBeCloseTo(
      sum(shadows, (r) => r.costUsd),
      12,
    );
    let attemptRows = 0;
    let okRows = 0;
    for (const r of all) {
      const a = await ledger.attempts(r.id);
      attemptRows += a.length;
      okRows += a.filter((x) => x.ok).length;
    }
    expect(total('cascade_model_attempts_total')).toBe(attemptRows);
    expect(total('cascade_model_attempts_total', (s) => s.labels.outcome === 'ok')).toBe(okRows);
    expect(total('cascade_request_seconds_count')).toBe(served.length);
    expect(total('cascade_decision_seconds_count')).toBe(served.filter((r) => r.decisionMs !== null).length);
    expect(total('cascade_confidence_count')).toBe(
      served.filter((r) => r.calibratedConfidence !== null).length,
    );
    expect(total('cascade_ledger_writes_total', (s) => s.labels.result === 'inserted')).toBe(all.length);
    // Bounded labels: no request id anywhere in the exposition.
    expect(text).not.toContain(run);
  });
});
