/**
 * The monitors on real traffic: requests run as cascade workflows on the dev server against the
 * recorded-model server, outcomes land in a SQLite ledger, feedback is posted as an eval job
 * would, and the report is computed from the ledger exactly as the scheduled evaluation does.
 *
 * - Outcome drift on a real model change: data/llmdrift (Apache-2.0, shipped) has the same "is N prime?"
 *   questions answered by two snapshots of one model name (March and June 2023). Served as the
 *   same model names in two successive periods (the recorded server's aliases), the drift
 *   monitor reports the shift; on two halves of one period it stays quiet.
 * - The escalation-rate alert fires when a hard task's share of one policy's stream rises, and
 *   not on a steady stream.
 * - A router made unprofitable on purpose is reported net-negative with the layer that did it.
 * - The Temporal Schedule runs one evaluation: stored in the ledger, alerts POSTed to a webhook,
 *   gauges on the worker's /metrics.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorsSchema } from '../../src/request/config/monitors-schema';
import type { Ledger } from '../../src/request/ledger/types';
import { buildReport } from '../../src/watch/monitors/build-report';
import { type Report, storedReport } from '../../src/watch/monitors/types';
import { shuffledIndices } from '../../src/request/router/random';
import type { Trace } from '../../src/request/router/trace';
import { ensureMonitorSchedule } from '../../src/temporal/monitor-schedule';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import type { MonitorWorkflowResult } from '../../src/temporal/workflows/monitor';
import { shippedData } from '../helpers/data';
import { freshLedger, ledgerBackends } from '../helpers/ledgers';
import { readRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';
import { runBatch } from '../../src/doors/client/batch';

const PRIME = shippedData('llmdrift/prime.jsonl');
const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const MEDMCQA = shippedData('synthetic/medmcqa_llama.jsonl');
const MONITORS = monitorsSchema.parse({});
const sqlite = ledgerBackends().find((b) => b.name === 'sqlite')!;
const RUN = Date.now().toString(36);

/** Runs requests as workflows (bounded concurrency) and returns their traces, failing on any error. */
async function runAll(stack: Stack, requests: Record<string, unknown>[]): Promise<Trace[]> {
  const result = await runBatch(
    stack.cascade,
    requests.map((value) => ({ value })),
    { concurrency: 24 },
  );
  expect(result.errors).toEqual([]);
  return result.traces;
}

/** Waits until `ms` has passed on the clock, so two periods' startedAt never share a millisecond. */
async function tick(): Promise<number> {
  await new Promise((r) => setTimeout(r, 5));
  return Date.now();
}

const alertsOf = (r: Report, monitor: string) => r.alerts.filter((a) => a.monitor === monitor);

describe('outcome drift on a real model change (LLMDrift: March vs June snapshots of one model name)', () => {
  let ledger: Ledger;
  // One row per (question, snapshot): the questions, each with its reference, in a seeded order
  // (the file lists primes and composites in runs, and both periods must draw from one population).
  const questions = (() => {
    const byPrompt = new Map<string, { prompt: string; reference: string }>();
    for (const r of readRows(PRIME) as unknown as { prompt: string; reference: string }[]) {
      if (!byPrompt.has(r.prompt)) byPrompt.set(r.prompt, { prompt: r.prompt, reference: r.reference });
    }
    const all = [...byPrompt.values()];
    return shuffledIndices(all.length, 7).map((i) => all[i]!);
  })();
  const PER_PERIOD = 200;
  const periods: { from: number; mid: number; to: number }[] = [];

  /** The eval job: is the first [Yes]/[No] of the served answer the reference? */
  const score = (trace: Trace, reference: string): number => {
    const label = /\[(Yes|No)\]/.exec(trace.final?.answer ?? '')?.[1];
    return label !== undefined && label.toLowerCase() === reference.toLowerCase() ? 1 : 0;
  };

  async function period(snapshot: { gpt35: string; gpt4: string }, offset: number, name: string) {
    const stack = await startStack({
      dataFiles: [PRIME],
      ledger,
      // The same model ids in both periods: the ledger must see one model name change behaviour.
      modelIdPrefix: `drift${RUN}-`,
      recorded: { aliases: { 'gpt-3.5-turbo': snapshot.gpt35, 'gpt-4': snapshot.gpt4 } },
      models: {
        'gpt-3.5-turbo': { inputPerMTok: 0.5, outputPerMTok: 1.5 },
        'gpt-4': { inputPerMTok: 30, outputPerMTok: 60 },
      },
      tasks: {
        prime: {
          route: 'direct-small',
          rungs: [{ model: 'gpt-3.5-turbo' }, { model: 'gpt-4' }],
          // The prompt asks for "[Yes]" or "[No]": an answer without one escalates.
          responseSchema: { type: 'string', pattern: '\\[(Yes|No)\\]' },
        },
      },
    });
    try {
      const qs = questions.slice(offset, offset + PER_PERIOD);
      const half = PER_PERIOD / 2;
      const request = (q: (typeof qs)[number], i: number) => ({
        id: `${RUN}-${name}-${i}`,
        task: 'prime',
        prompt: q.prompt,
      });
      const from = await tick();
      const first = await runAll(stack, qs.slice(0, half).map(request));
      const mid = await tick();
      const second = await runAll(
        stack,
        qs.slice(half).map((q, i) => request(q, i + half)),
      );
      const to = await tick();
      const traces = [...first, ...second];
      for (const [i, t] of traces.entries()) {
        await ledger.addFeedback(t.requestId, {
          score: score(t, qs[i]!.reference),
          source: 'eval',
          key: 'prime-eval',
        });
      }
      periods.push({ from, mid, to });
    } finally {
      await stack.close();
    }
  }

  beforeAll(async () => {
    ledger = (await freshLedger(sqlite)).ledger;
    await period({ gpt35: 'openaichat/gpt-3.5-turbo-0301', gpt4: 'openaichat/gpt-4-0314' }, 0, 'march');
    await period(
      { gpt35: 'openaichat/gpt-3.5-turbo-0613', gpt4: 'openaichat/gpt-4-0613' },
      PER_PERIOD,
      'june',
    );
  }, 600_000);

  afterAll(async () => {
    await ledger?.close();
  });

  it('reports the shift in accuracy and escalation of the model whose snapshot changed', async () => {
    const [march, june] = periods;
    const report = await buildReport(ledger, {
      window: { from: june!.from, to: june!.to },
      reference: { from: march!.from, to: march!.to },
      config: MONITORS,
    });
    const small = report.drift.outcomes.find(
      (o) => o.task === 'prime' && o.model === `drift${RUN}-gpt-3.5-turbo`,
    );
    expect(small, JSON.stringify(report.drift.outcomes)).toBeDefined();
    expect(small!.drifted).toBe(true);
    // gpt-3.5-turbo-0613 omits the "[Yes]"/"[No]" far more often than -0301 (16.5% vs 2.0% of
    // the 1,000 recorded answers), so more of its answers escalate...
    expect(small!.escalation.current.rate!).toBeGreaterThan(small!.escalation.reference.rate! + 0.05);
    expect(small!.escalation.pValue!).toBeLessThan(0.01);
    // ... and it is right more often (68% vs 51% over the file): the feedback shows it.
    expect(small!.accuracy!.current.rate!).toBeGreaterThan(small!.accuracy!.reference.rate! + 0.05);
    expect(small!.accuracy!.pValue!).toBeLessThan(0.01);
    const alerts = alertsOf(report, 'drift_outcome');
    expect(alerts.map((a) => a.key)).toEqual(
      expect.arrayContaining([
        `prime/drift${RUN}-gpt-3.5-turbo:accuracy`,
        `prime/drift${RUN}-gpt-3.5-turbo:escalation`,
      ]),
    );
    expect(alerts.every((a) => a.recommendation && /calibrat/i.test(a.recommendation))).toBe(true);
    // The questions are the same population in both periods: no input feature drifted.
    expect(alertsOf(report, 'drift_input')).toEqual([]);
  });

  it('stays quiet on two halves of one period', async () => {
    for (const p of periods) {
      const report = await buildReport(ledger, {
        window: { from: p.mid, to: p.to },
        reference: { from: p.from, to: p.mid },
        config: MONITORS,
      });
      expect(report.requests).toBe(PER_PERIOD / 2);
      expect(report.drift.outcomes.length).toBeGreaterThan(0);
      expect(report.drift.outcomes.filter((o) => o.drifted)).toEqual([]);
      expect(alertsOf(report, 'drift_outcome')).toEqual([]);
      expect(alertsOf(report, 'drift_input')).toEqual([]);
    }
  });
});

describe('escalation rate, net savings and the scheduled evaluation', () => {
  let ledger: Ledger;
  let stack: Stack;
  const SMALL = 'llama3.1-8b';
  const LARGE = 'llama3.1-405b';
  const mmlu = readRows(MMLU);
  const medmcqa = readRows(MEDMCQA);
  const used = { mmlu: 0, medmcqa: 0 };
  /** `n` requests of task `task`, a share `hardShare` of them MMLU (the set the 8B model is least sure of). */
  const stream = (name: string, task: string, n: number, hardShare: number): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < n; i++) {
      // Deterministic interleaving: the hard rows are spread evenly through the stream.
      const hard = Math.floor((i + 1) * hardShare) > Math.floor(i * hardShare);
      const row: DataRow = hard
        ? mmlu[used.mmlu++ % mmlu.length]!
        : medmcqa[used.medmcqa++ % medmcqa.length]!;
      out.push({ ...row, id: `${RUN}-${name}-${i}`, task });
    }
    return out;
  };
  const windows: Record<string, { from: number; to: number }> = {};
  async function timed(
    name: string,
    requests: Record<string, unknown>[],
    s: Stack = stack,
  ): Promise<Trace[]> {
    const from = await tick();
    const traces = await runAll(s, requests);
    windows[name] = { from, to: await tick() };
    return traces;
  }

  const webhook: { bodies: unknown[]; server?: http.Server; url?: string } = { bodies: [] };

  beforeAll(async () => {
    ledger = (await freshLedger(sqlite)).ledger;
    webhook.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        webhook.bodies.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => webhook.server!.listen(0, '127.0.0.1', r));
    webhook.url = `http://127.0.0.1:${(webhook.server.address() as AddressInfo).port}/hooks/secret-token`;
    // At P(answer) >= 0.5 the 8B model stands on nearly every MedMCQA question and on 68% of MMLU ones.
    const rungs = [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.5 }, { model: LARGE }];
    stack = await startStack({
      dataFiles: [MMLU, MEDMCQA],
      ledger,
      metricsPort: 0,
      alertWebhookUrl: webhook.url,
      models: {
        [SMALL]: { inputPerMTok: 0.18, outputPerMTok: 0.18 },
        [LARGE]: { inputPerMTok: 3.5, outputPerMTok: 3.5 },
      },
      tasks: {
        qa: { route: 'cascade', rungs },
        // Thresholds that escalate nearly everything: every request pays the small model for nothing.
        'qa-timid': { route: 'cascade', rungs: [{ ...rungs[0]!, threshold: 0.9999 }, rungs[1]!] },
      },
    });
    await timed('reference', stream('reference', 'qa', 150, 0.1));
    await timed('steady', stream('steady', 'qa', 150, 0.1));
    await timed('shifted', stream('shifted', 'qa', 150, 0.8));
    await timed('timid', stream('timid', 'qa-timid', 40, 0.1));
  }, 600_000);

  afterAll(async () => {
    await stack?.close();
    await ledger?.close();
    await new Promise((r) => webhook.server?.close(r));
  });

  const report = (window: string, reference: string | null) =>
    buildReport(ledger, {
      window: windows[window]!,
      reference: reference ? windows[reference]! : null,
      config: MONITORS,
    });

  it('stays quiet on a steady stream', async () => {
    const r = await report('steady', 'reference');
    const row = r.escalation.rows.find((e) => e.task === 'qa')!;
    expect(row.observed.n).toBe(150);
    expect(row.baseline?.source).toBe('reference');
    expect(row.status).toBe('ok');
    expect(alertsOf(r, 'escalation_rate')).toEqual([]);
  });

  it("fires when the hard task's share of the stream rises", async () => {
    const r = await report('shifted', 'reference');
    const row = r.escalation.rows.find((e) => e.task === 'qa')!;
    expect(row.observed.rate!).toBeGreaterThan(row.baseline!.rate + 0.1);
    expect(row.status).toBe('alert');
    const [alert] = alertsOf(r, 'escalation_rate');
    expect(alert?.key).toBe('qa/qa');
    expect(alert?.message).toMatch(/%/);
  });

  it('reports thresholds that escalate nearly everything as net-negative, naming the wasted small calls', async () => {
    const r = await report('timid', null);
    expect(r.escalation.overall.rate!).toBeGreaterThan(0.9);
    expect(r.costs.wastedCostUsd).toBeGreaterThan(0);
    expect(r.costs.netSavingsUsd).toBeLessThan(0);
    expect(['wasted', 'no_savings']).toContain(r.costs.dominantLoss);
    const [alert] = alertsOf(r, 'net_savings');
    expect(alert?.evidence.dominantLoss).toBe(r.costs.dominantLoss);
  });

  it('reports a router whose orchestration costs more than it saves as net-negative, naming orchestration', async () => {
    // The same policy as `qa`, on a Temporal bill of a cent per action (a request is ~6 actions).
    const pricey = await startStack({
      dataFiles: [MMLU, MEDMCQA],
      ledger,
      costPerAction: 0.01,
      models: {
        [SMALL]: { inputPerMTok: 0.18, outputPerMTok: 0.18 },
        [LARGE]: { inputPerMTok: 3.5, outputPerMTok: 3.5 },
      },
      tasks: {
        'qa-pricey': {
          route: 'cascade',
          rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.5 }, { model: LARGE }],
        },
      },
    });
    try {
      await timed('pricey', stream('pricey', 'qa-pricey', 40, 0.1), pricey);
    } finally {
      await pricey.close();
    }
    const r = await report('pricey', null);
    expect(r.costs.grossSavingsUsd).toBeGreaterThan(0); // the models alone did save money
    expect(r.costs.router.orchestrationUsd).toBeGreaterThan(r.costs.grossSavingsUsd);
    expect(r.costs.netSavingsUsd).toBeLessThan(0);
    expect(r.costs.dominantLoss).toBe('orchestration');
    expect(alertsOf(r, 'net_savings')[0]?.message).toMatch(/orchestration/);
    expect(alertsOf(r, 'router_cost')).toHaveLength(1);
  });

  it('runs as a Temporal Schedule: one evaluation stored, alerts posted to the webhook, gauges served', async () => {
    const scheduleId = `monitors-test-${RUN}`;
    await ensureMonitorSchedule(stack.client, {
      everyMs: 60 * 60_000,
      scheduleId,
      taskQueue: stack.taskQueue,
    });
    // Idempotent: a second worker starting does not make a second schedule.
    expect(
      (
        await ensureMonitorSchedule(stack.client, {
          everyMs: 60 * 60_000,
          scheduleId,
          taskQueue: stack.taskQueue,
        })
      ).created,
    ).toBe(false);
    const handle = stack.client.schedule.getHandle(scheduleId);
    try {
      await handle.trigger();
      let workflowId: string | undefined;
      for (let i = 0; i < 100 && !workflowId; i++) {
        const d = await handle.describe();
        workflowId = d.info.recentActions[0]?.action.workflow.workflowId;
        if (!workflowId) await new Promise((r) => setTimeout(r, 100));
      }
      expect(workflowId).toBeDefined();
      const result = (await stack.client.workflow.getHandle(workflowId!).result()) as MonitorWorkflowResult;
      expect(result.evaluationId).toBe(workflowId);
      // The window (the last hour) holds this file's traffic, including the net-negative policies.
      expect(result.firing).toBeGreaterThan(0);
      expect(result.transitions.every((t) => t.state === 'firing')).toBe(true);
      expect(result.notified).toBe(true);

      const stored = await ledger.latestEvaluation();
      expect(stored?.id).toBe(workflowId);
      expect(stored!.report.alerts.length).toBe(result.firing);

      expect(webhook.bodies).toHaveLength(1);
      const body = webhook.bodies[0] as { evaluationId: string; transitions: unknown[]; text: string };
      expect(body.evaluationId).toBe(workflowId);
      expect(body.transitions).toHaveLength(result.transitions.length);
      expect(body.text).toMatch(/net_savings/);

      // The webhook's secret never reaches the workflow's history.
      const history = JSON.stringify(await stack.client.workflow.getHandle(workflowId!).fetchHistory());
      expect(history).not.toContain('secret-token');

      const text = await (await fetch(stack.workers.metricsServer!.url)).text();
      expect(parseSamples(text, 'cascade_monitor_alert')).toHaveLength(result.firing);
      expect(parseSamples(text, 'cascade_monitor_up')[0]?.value).toBe(1);
      const net = parseSamples(text, 'cascade_monitor_usd').find((s) => s.labels.layer === 'net_savings');
      expect(net?.value).toBeCloseTo(storedReport(stored!.report).costs.netSavingsUsd, 9);
    } finally {
      await handle.delete();
    }
  });
});
