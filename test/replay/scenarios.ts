/**
 * The recorded histories in test/replay/<name>.json: which request, which policy and which
 * injected faults produced each, and what its trace must show for the recording to be faithful
 * to its name. test/replay/record.test.ts runs them; test/replay/replay.test.ts replays them.
 *
 * Only Apache-2.0 data (test/fixtures/replay-rows.jsonl, see test/fixtures/NOTICE) ends up in
 * the committed histories. Those sets record answers but no logprobs and no JSON answers, which
 * decides the paths a fixture can take:
 * - a confidence check on them has no signal, so it fails (the real behaviour, src/temporal/activities/check.ts):
 *   that is the low-confidence escalation;
 * - no answer is JSON, so a response schema always fails: that is the schema-invalid escalation;
 * - no first rung can pass a check, so "no escalation" is the `static` route (one model, no check).
 */
import path from 'node:path';
import { expect } from 'vitest';
import type { Trace } from '../../src/request/router/trace';
import type { StackOptions } from '../helpers/stack';

export const REPLAY_DIR = __dirname;
export const ROWS_FILE = path.resolve(__dirname, '../fixtures/replay-rows.jsonl');
/**
 * A calibration artefact for the RouteLLM pair (fitted by `cascade calibrate` on the Apache-2.0
 * data/demo sample, then its small rung's skip point set to P(good) < 0.99 so the classifier skips
 * it): the classifier-skip scenario.
 */
export const CALIBRATION_FILE = path.resolve(__dirname, '../fixtures/calibration/replay-gsm8k.json');
/** Model ids in the histories are `replay-<name>` every time they are recorded. */
export const MODEL_ID_PREFIX = 'replay-';

const SMALL = 'mixtral-8x7b-instruct'; // RouteLLM gsm8k
const LARGE = 'gpt-4-1106-preview'; // RouteLLM gsm8k
const SOLO = 'gpt-4-0314'; // LLMDrift, served under this alias of openaichat/gpt-4-0314
const id = (name: string) => `${MODEL_ID_PREFIX}${name}`;

const FAST_RETRIES = { maxAttemptsPerRung: 3, initialBackoffMs: 50, maxBackoffMs: 200 };

/**
 * The scenarios recorded before lean execution existed ran durable (their inputs have no
 * `execution`, which replays as durable); their tasks say so, so a re-recording stays durable.
 * `lean-*` scenarios run the same requests lean: model calls and the ledger write as local
 * activities of one workflow task.
 */
const LEAN_TASKS = ['prime', 'gsm8kJson', 'gsm8k'] as const;

export const REPLAY_STACK: StackOptions = {
  dataFiles: [ROWS_FILE],
  modelIdPrefix: MODEL_ID_PREFIX,
  recorded: { aliases: { [SOLO]: 'openaichat/gpt-4-0314' }, retryAfterSeconds: 1 },
  models: {
    [SMALL]: { inputPerMTok: 0.6, outputPerMTok: 0.6 },
    [LARGE]: { inputPerMTok: 10, outputPerMTok: 30 },
    [SOLO]: { inputPerMTok: 30, outputPerMTok: 60 },
  },
  tasks: {
    // One model, no routing work: the answer stands as it comes.
    prime: { route: 'static', execution: 'durable', rungs: [{ model: SOLO }], limits: FAST_RETRIES },
    // The small model's answer must be the JSON the schema asks for, else the large one answers.
    gsm8kJson: {
      route: 'direct-small',
      execution: 'durable',
      responseSchema: {
        type: 'object',
        required: ['answer'],
        properties: { answer: { type: 'number' } },
      },
      rungs: [{ model: SMALL }, { model: LARGE }],
      limits: FAST_RETRIES,
    },
    // A two-rung cascade on the answer's token log-probability.
    gsm8k: {
      route: 'cascade',
      execution: 'durable',
      rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.7 }, { model: LARGE }],
      limits: FAST_RETRIES,
    },
    // Latency-budget dispatch: the snapshot of live queue signals is a recorded local activity.
    gsm8kLatency: {
      route: 'latency-budget',
      rungs: [{ model: SMALL }, { model: LARGE }],
      latencyBudgetMs: 60_000,
      limits: FAST_RETRIES,
    },
    // A calibrated cascade: the pre-route classifier's skip rule sends the request to the large model.
    gsm8kCalibrated: {
      route: 'cascade',
      execution: 'durable',
      rungs: [{ model: SMALL }, { model: LARGE }],
      calibration: CALIBRATION_FILE,
      limits: FAST_RETRIES,
    },
    // The same cascade in shadow mode: the large model serves, the cascade runs as a child.
    gsm8kShadow: {
      route: 'cascade',
      execution: 'durable',
      rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.7 }, { model: LARGE }],
      limits: FAST_RETRIES,
      rollout: 0,
      shadow: { enabled: true, sampleRate: 1 },
    },
  },
};

for (const task of LEAN_TASKS) {
  REPLAY_STACK.tasks[`${task}Lean`] = { ...REPLAY_STACK.tasks[task]!, execution: 'lean' };
}

export interface ReplayScenario {
  /** The fixture's file name without `.json`. */
  name: string;
  /** Row of replay-rows.jsonl whose prompt is sent. */
  rowId: string;
  task: string;
  /** Scripted replies of the recorded-model server for one endpoint model before the request. */
  faults?: { model: string; sequence: string[] };
  /** What the trace must show for the recording to be kept. */
  expectTrace(trace: Trace): void;
  /** Other workflows the request started (a shadow child), recorded beside it once they finish. */
  alsoRecord?: { workflowIdSuffix: string; name: string; expectTrace(trace: Trace): void }[];
}

export const SCENARIOS: ReplayScenario[] = [
  {
    name: 'no-escalation',
    rowId: 'prime-4-openaichat/gpt-4-0314',
    task: 'prime',
    expectTrace(t) {
      expect(t.status).toBe('answered');
      expect(t.route).toBe('static');
      expect(t.escalations).toEqual([]);
      expect(t.final.model).toBe(id(SOLO));
      expect(t.calls.map((c) => c.attempts.map((a) => a.ok))).toEqual([[true]]);
    },
  },
  {
    name: 'schema-invalid-escalation',
    rowId: 'gsm8k-55',
    task: 'gsm8kJson',
    expectTrace(t) {
      expect(t.route).toBe('direct-small');
      expect(t.checks[0]).toMatchObject({ rung: 0, kind: 'schema', passed: false });
      expect(t.escalations).toEqual([{ from: id(SMALL), to: id(LARGE), reason: 'schema_invalid' }]);
      expect(t.final.model).toBe(id(LARGE));
    },
  },
  {
    name: 'low-confidence-escalation',
    rowId: 'gsm8k-49',
    task: 'gsm8k',
    expectTrace(t) {
      expect(t.route).toBe('cascade');
      // RouteLLM records no logprobs: no signal is no confidence, and the answer does not stand.
      expect(t.checks[0]).toMatchObject({ rung: 0, kind: 'confidence', passed: false, raw: null });
      expect(t.escalations).toEqual([{ from: id(SMALL), to: id(LARGE), reason: 'low_confidence' }]);
      expect(t.final.model).toBe(id(LARGE));
    },
  },
  {
    name: 'rung-failed-fallback',
    rowId: 'gsm8k-88',
    task: 'gsm8k',
    faults: { model: SMALL, sequence: ['500', '500', '500'] },
    expectTrace(t) {
      expect(t.calls[0]!.attempts.map((a) => [a.ok, a.status])).toEqual([
        [false, 500],
        [false, 500],
        [false, 500],
      ]);
      expect(t.escalations).toEqual([{ from: id(SMALL), to: id(LARGE), reason: 'rung_failed' }]);
      expect(t.final.model).toBe(id(LARGE));
      expect(t.status).toBe('answered');
    },
  },
  {
    name: 'retry-after-429',
    rowId: 'prime-1-openaichat/gpt-4-0314',
    task: 'prime',
    faults: { model: SOLO, sequence: ['429', 'ok'] },
    expectTrace(t) {
      const attempts = t.calls[0]!.attempts;
      expect(attempts.map((a) => [a.ok, a.errorClass, a.status])).toEqual([
        [false, 'rate_limited', 429],
        [true, null, 200],
      ]);
      // Retry-After (1 s) outweighs the policy's 50 ms backoff.
      expect(attempts[0]!.backoffMs).toBeGreaterThanOrEqual(1_000); // plus jitter since lean
      expect(attempts[0]!.backoffMs).toBeLessThanOrEqual(1_500);
      expect(t.escalations).toEqual([]);
      expect(t.final.model).toBe(id(SOLO));
    },
  },
];

// The same requests, lean (recorded after lean execution landed).
SCENARIOS.push(
  ...SCENARIOS.filter((s) => (LEAN_TASKS as readonly string[]).includes(s.task)).map((s) => ({
    ...s,
    name: `lean-${s.name}`,
    task: `${s.task}Lean`,
    expectTrace(t: Trace) {
      s.expectTrace(t);
      // No activity at all: start, one marker batch per workflow task, the upsert, and a timer
      // and another batch per retry that waited.
      const waits = t.calls.flatMap((c) => c.attempts).filter((a) => a.backoffMs !== undefined).length;
      expect(t.totals.orchestrationActions).toBe(3 + 2 * waits);
    },
  })),
);

SCENARIOS.push({
  name: 'shadow-pair',
  rowId: 'gsm8k-49',
  task: 'gsm8kShadow',
  expectTrace(t) {
    expect(t.route).toBe('static');
    expect(t.policy.servedAs).toBe('baseline-shadow');
    expect(t.final.model).toBe(id(LARGE));
    expect(t.shadow).toMatchObject({ role: 'parent' });
  },
  alsoRecord: [
    {
      workflowIdSuffix: ':shadow',
      name: 'shadow-pair-child',
      expectTrace(t) {
        expect(t.route).toBe('cascade');
        expect(t.shadow).toMatchObject({ role: 'child', served: { model: id(LARGE) } });
        expect(t.escalations).toEqual([{ from: id(SMALL), to: id(LARGE), reason: 'low_confidence' }]);
      },
    },
  ],
});

SCENARIOS.push({
  name: 'latency-budget-dispatch',
  rowId: 'gsm8k-88',
  task: 'gsm8kLatency',
  expectTrace(t) {
    expect(t.route).toBe('latency-budget');
    expect(t.dispatch).toMatchObject({
      budgetMs: 60_000,
      chosen: id(SMALL),
      cheapest: id(SMALL),
      budgetExceeded: false,
    });
    expect(t.dispatch!.candidates.map((c) => [c.model, c.fits])).toEqual([
      [id(SMALL), true],
      [id(LARGE), true],
    ]);
    expect(t.escalations).toEqual([]);
    expect(t.final.model).toBe(id(SMALL));
  },
});

SCENARIOS.push({
  name: 'classifier-skip',
  rowId: 'gsm8k-55',
  task: 'gsm8kCalibrated',
  expectTrace(t) {
    expect(t.route).toBe('cascade');
    expect(t.policy.calibrationVersion).toMatch(/^cal-/);
    expect(t.decision?.classifierVersion).toMatch(/^clf-/);
    expect(t.decision?.predicted?.[0]).toBeLessThan(0.99);
    expect(t.decision?.skippedRungs).toEqual([0]);
    expect(t.calls.map((c) => c.model)).toEqual([id(LARGE)]);
    expect(t.escalations).toEqual([]);
    expect(t.final.model).toBe(id(LARGE));
  },
});

/** One scheduled monitor evaluation (src/temporal/workflows/monitor.ts), recorded by record.test.ts. */
export const MONITOR_FIXTURE = 'monitor-evaluation';

export const SCENARIO_NAMES = [
  ...SCENARIOS.flatMap((s) => [s.name, ...(s.alsoRecord ?? []).map((a) => a.name)]),
  MONITOR_FIXTURE,
];

export function fixturePath(name: string): string {
  return path.join(REPLAY_DIR, `${name}.json`);
}
