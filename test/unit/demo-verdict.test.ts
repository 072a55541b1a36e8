/**
 * The demo's per-task verdict (src/tools/demo/verdict.ts) and the batch summary with shadow children
 * (src/doors/client/summary.ts): figures from traces and recorded labels only, and a plain verdict.
 */
import { describe, expect, it } from 'vitest';
import { formatSummaryTable, summarize } from '../../src/doors/client/summary';
import { parseConfig } from '../../src/request/config-file/load';
import { formatVerdicts, servedCorrect, taskVerdicts } from '../../src/tools/demo/verdict';
import { TRACE_VERSION, type Trace } from '../../src/request/router/trace';

const config = parseConfig(`
temporal: { costPerAction: 0.00001 }
models:
  small: { provider: openai-compatible, baseUrl: http://localhost:8788/v1, pricing: { inputPerMTok: 0.1, outputPerMTok: 0.1 } }
  large: { provider: openai-compatible, baseUrl: http://localhost:8788/v1, model: big-v1, pricing: { inputPerMTok: 3, outputPerMTok: 3 } }
tasks:
  qa:
    route: cascade
    rungs:
      - { model: small, confidence: answer_logprob, threshold: 0.7 }
      - { model: large }
  one:
    route: static
    rungs: [{ model: large }]
  shadowed:
    route: cascade
    rollout: 0
    shadow: { enabled: true }
    rungs:
      - { model: small, confidence: answer_logprob, threshold: 0.7 }
      - { model: large }
`).config;

function trace(
  id: string,
  served: 'small' | 'large',
  answer: string,
  totals: { cost: number; baseline: number; orchestration: number },
  extra: Partial<Trace> = {},
): Trace {
  return {
    traceVersion: TRACE_VERSION,
    requestId: id,
    route: 'cascade',
    taskType: 'qa',
    status: 'answered',
    policy: { configVersion: 'cfg-x', calibrationVersion: 'none' },
    decision: null,
    calls: [],
    checks: [],
    escalations: [],
    final: { model: served, rung: served === 'small' ? 0 : 1, answer },
    totals: {
      costUsd: totals.cost,
      baselineCostUsd: totals.baseline,
      baselineEstimated: served === 'small',
      wastedCostUsd: 0,
      attempts: 1,
      orchestrationActions: 3,
      orchestrationCostUsd: totals.orchestration,
    },
    ...extra,
  };
}

/** A recorded row: each model's answer and whether it was right (the large model under its endpoint name). */
const row = (id: string, small: [string, boolean], large: [string, boolean]) => ({
  id,
  models: {
    small: { answer: small[0], correct: small[1] },
    'big-v1': { answer: large[0], correct: large[1] },
  },
});

describe('servedCorrect', () => {
  it('grades a served answer by its label only when it is the recorded answer of the model that served it', () => {
    const r = row('1', ['A', true], ['B', false]);
    expect(
      servedCorrect(config, r, trace('x', 'small', 'A', { cost: 0, baseline: 0, orchestration: 0 })),
    ).toBe(true);
    expect(
      servedCorrect(config, r, trace('x', 'large', ' B\n', { cost: 0, baseline: 0, orchestration: 0 })),
    ).toBe(false);
    // Not the recorded text: not graded (null), never guessed.
    expect(
      servedCorrect(config, r, trace('x', 'small', 'C', { cost: 0, baseline: 0, orchestration: 0 })),
    ).toBeNull();
  });
});

describe('taskVerdicts', () => {
  const rows = new Map<string, { task: string; row: Record<string, unknown> }>();
  const add = (id: string, task: string, r: Record<string, unknown>) => rows.set(id, { task, row: r });

  it('pays: cheaper than the large model alone, and as accurate on the labelled rows', () => {
    add('p1', 'qa', row('p1', ['A', true], ['A', true]));
    add('p2', 'qa', row('p2', ['A', false], ['B', true]));
    const traces = [
      trace('p1', 'small', 'A', { cost: 0.0001, baseline: 0.003, orchestration: 0.00003 }),
      trace('p2', 'large', 'B', { cost: 0.0031, baseline: 0.003, orchestration: 0.00003 }),
    ];
    const [v] = taskVerdicts({ config, rows, traces });
    expect(v).toMatchObject({
      task: 'qa',
      largeModel: 'large',
      servedCheaper: 1,
      labelled: 2,
      accuracy: 1,
      largeAccuracy: 1,
      kind: 'pays',
    });
    expect(v!.spentUsd).toBeCloseTo(0.0032 + 0.00006, 12);
    expect(v!.summary.savingsUsd).toBeCloseTo(0.006 - 0.0032 - 0.00006, 12);
    expect(v!.text).toMatch(/^pays: saves 45\.7% of the large-only cost; accuracy 100\.0% against 100\.0%/);
  });

  it('saves money but loses accuracy: says so, with both accuracies and the target', () => {
    const traces = ['l1', 'l2'].map((id) => {
      add(id, 'qa', row(id, ['A', false], ['B', true]));
      return trace(id, 'small', 'A', { cost: 0.0001, baseline: 0.003, orchestration: 0.00003 });
    });
    const [v] = taskVerdicts({ config, rows, traces });
    expect(v!.kind).toBe('saves-but-loses-accuracy');
    expect(v!.text).toContain(
      'accuracy 0.0% against 100.0% for large alone (2 labelled rows), below 97.0% of it',
    );
  });

  it('does not pay: every request on the large model, so the orchestration is all the router adds', () => {
    const traces = ['d1', 'd2'].map((id) => {
      add(id, 'qa', row(id, ['A', true], ['B', true]));
      return trace(id, 'large', 'B', { cost: 0.003, baseline: 0.003, orchestration: 0.00003 });
    });
    const [v] = taskVerdicts({ config, rows, traces });
    expect(v!.kind).toBe('does-not-pay');
    expect(v!.summary.savingsUsd).toBeCloseTo(-0.00006, 12);
    expect(v!.text).toMatch(/^does not pay: no request was served by a cheaper model/);
  });

  it("scores the pre-route classifier's recorded P(good) against the first rung's labels (AUC)", () => {
    const decision = (p: number): Trace['decision'] => ({
      classifierVersion: 'clf-000000000000',
      taskType: 'qa',
      complexity: 0,
      features: {},
      decisionMs: 1,
      predicted: [p, null],
    });
    const traces = [
      ['c1', 0.9, true],
      ['c2', 0.6, false],
      ['c3', 0.2, false],
    ].map(([id, p, smallRight]) => {
      add(id as string, 'qa', row(id as string, ['A', smallRight as boolean], ['B', true]));
      return trace(
        id as string,
        'large',
        'B',
        { cost: 0.003, baseline: 0.003, orchestration: 0 },
        {
          decision: decision(p as number),
        },
      );
    });
    const [v] = taskVerdicts({ config, rows, traces });
    expect(v!.classifier).toEqual({ model: 'small', auc: 1, rows: 3 });
    expect(formatVerdicts([v!])).toContain(
      "  qa: on these 3 rows the pre-route classifier's P(good) for small separates its right answers from its wrong ones with AUC 1.00",
    );
    // The rules cold start predicts nothing: no figure.
    const rules = traces.map((t) => ({ ...t, decision: { ...t.decision!, classifierVersion: 'rules-v1' } }));
    expect(taskVerdicts({ config, rows, traces: rules })[0]!.classifier).toBeNull();
  });

  it('a static task is not routed; a shadowed one pays nothing by design, and its shadows are counted', () => {
    add('s1', 'one', row('s1', ['A', true], ['B', true]));
    add('h1', 'shadowed', row('h1', ['A', true], ['B', true]));
    const parent = trace(
      'h1',
      'large',
      'B',
      { cost: 0.003, baseline: 0.003, orchestration: 0.00005 },
      {
        shadow: { role: 'parent', childWorkflowId: 'h1:shadow' },
        policy: { configVersion: 'c', calibrationVersion: 'none', servedAs: 'baseline-shadow' },
      },
    );
    const child = trace(
      'h1:shadow',
      'small',
      'A',
      { cost: 0.0001, baseline: 0, orchestration: 0.00003 },
      {
        shadow: {
          role: 'child',
          parentWorkflowId: 'h1',
          served: { model: 'large', answer: 'B', costUsd: 0.003 },
          agreement: null,
          wouldHaveCostUsd: 0.0001,
          wouldHaveSavedUsd: 0.0029,
          wouldHaveEscalated: false,
        },
      },
    );
    const verdicts = taskVerdicts({
      config,
      rows,
      traces: [trace('s1', 'large', 'B', { cost: 0.003, baseline: 0.003, orchestration: 0.00003 }), parent],
      shadowChildren: [child],
    });
    expect(verdicts.map((v) => [v.task, v.kind])).toEqual([
      ['one', 'not-routed'],
      ['shadowed', 'shadow'],
    ]);
    const shadowed = verdicts[1]!;
    expect(shadowed.summary.shadowCostUsd).toBeCloseTo(0.0001, 12);
    expect(shadowed.spentUsd).toBeCloseTo(0.003 + 0.0001 + 0.00008, 12);
    expect(shadowed.shadowWouldHaveSavedUsd).toBeCloseTo(0.0029, 12);
    expect(shadowed.text).toContain('would have cost $0.00290 less than the served ones');
    const table = formatVerdicts(verdicts);
    expect(table).toMatch(/^\s+one\s+static\s+1\s+0\s+\$0\.00303\s+\$0\.00300\s+-\$0\.0000300\s+-1\.0%/m);
    expect(table).toContain('  shadowed: shadow mode pays nothing by design');
  });
});

describe('summarize with shadow children', () => {
  it('counts their model calls as spent and their actions as orchestration, against the savings', () => {
    const parent = trace('h', 'large', 'B', { cost: 0.003, baseline: 0.003, orchestration: 0.00005 });
    const child = trace('h:shadow', 'small', 'A', { cost: 0.0001, baseline: 0, orchestration: 0.00003 });
    const without = summarize([parent]);
    const s = summarize([parent], { shadowChildren: [child] });
    expect(without).toMatchObject({ shadowRuns: 0, shadowCostUsd: 0 });
    expect(s.requests).toBe(1);
    expect(s.shadowRuns).toBe(1);
    expect(s.costUsd).toBeCloseTo(0.003, 12);
    expect(s.shadowCostUsd).toBeCloseTo(0.0001, 12);
    expect(s.orchestrationActions).toBe(6);
    expect(s.orchestrationCostUsd).toBeCloseTo(0.00008, 12);
    expect(s.attempts).toBe(2);
    expect(s.savingsUsd).toBeCloseTo(0.003 - 0.003 - 0.0001 - 0.00008, 12);
    const table = formatSummaryTable(s);
    expect(table).toMatch(
      /^ {2}shadow runs \(model calls\)\s+\$0\.000100\s+1 routed paths run beside the baseline/m,
    );
    expect(table).toContain('(baseline - routed - shadow runs - orchestration)');
    expect(formatSummaryTable(without)).not.toContain('shadow runs');
  });
});
