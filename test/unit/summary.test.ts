import { describe, expect, it } from 'vitest';
import { formatPct, formatSummaryTable, formatUsd, summarize } from '../../src/doors/client/summary';
import {
  ESCALATION_REASONS,
  TRACE_VERSION,
  type AttemptRecord,
  type CallRecord,
  type EscalationRecord,
  type Trace,
} from '../../src/request/router/trace';

const ok = (costUsd: number, attempt = 1): AttemptRecord => ({
  attempt,
  ok: true,
  errorClass: null,
  status: 200,
  latencyMs: 10,
  tokensIn: 100,
  tokensOut: 1,
  costUsd,
});
const err = (attempt: number, errorClass = 'server_error', costUsd = 0): AttemptRecord => ({
  attempt,
  ok: false,
  errorClass,
  status: 500,
  latencyMs: 5,
  tokensIn: 0,
  tokensOut: 0,
  costUsd,
});

function trace(
  id: string,
  t: {
    status?: Trace['status'];
    calls: CallRecord[];
    escalations?: EscalationRecord[];
    final?: string | null;
    totals: Partial<Trace['totals']>;
  },
): Trace {
  return {
    traceVersion: TRACE_VERSION,
    requestId: id,
    route: 'cascade',
    taskType: 'mmlu',
    status: t.status ?? 'answered',
    policy: { configVersion: 'cfg-x', calibrationVersion: 'identity' },
    decision: null,
    calls: t.calls,
    checks: [],
    escalations: t.escalations ?? [],
    final: { model: t.final ?? null, rung: t.final ? 0 : null, answer: t.final ? 'A' : null },
    totals: {
      costUsd: 0,
      baselineCostUsd: 0,
      baselineEstimated: false,
      wastedCostUsd: 0,
      attempts: 0,
      orchestrationActions: 0,
      orchestrationCostUsd: 0,
      ...t.totals,
    },
  };
}

// Three hand-built requests:
// a) served by the small model, no escalation; baseline estimated.
// b) small low-confidence after a 429 retry, escalated, served by large (double cost).
// c) small fails 3 times (rung_failed), large fails once non-retryably (rung_failed): failed.
const a = trace('a', {
  calls: [{ rung: 0, model: 'small', purpose: 'answer', attempts: [ok(0.00002)] }],
  final: 'small',
  totals: {
    costUsd: 0.00002,
    baselineCostUsd: 0.0003,
    baselineEstimated: true,
    attempts: 1,
    orchestrationActions: 5,
    orchestrationCostUsd: 0.000125,
  },
});
const b = trace('b', {
  calls: [
    { rung: 0, model: 'small', purpose: 'answer', attempts: [err(1, 'rate_limited'), ok(0.00002, 2)] },
    { rung: 1, model: 'large', purpose: 'answer', attempts: [ok(0.0003)] },
  ],
  escalations: [{ from: 'small', to: 'large', reason: 'low_confidence' }],
  final: 'large',
  totals: {
    costUsd: 0.00032,
    baselineCostUsd: 0.0003,
    wastedCostUsd: 0.00002,
    attempts: 3,
    orchestrationActions: 8,
    orchestrationCostUsd: 0.0002,
  },
});
const c = trace('c', {
  status: 'failed',
  calls: [
    {
      rung: 0,
      model: 'small',
      purpose: 'answer',
      attempts: [err(1), err(2), err(3, 'server_error', 0.000001)],
    },
    { rung: 1, model: 'large', purpose: 'answer', attempts: [err(1, 'bad_request')] },
  ],
  escalations: [
    { from: 'small', to: 'large', reason: 'rung_failed' },
    { from: 'large', to: null, reason: 'rung_failed' },
  ],
  totals: {
    costUsd: 0.000001,
    baselineCostUsd: 0,
    baselineEstimated: true,
    wastedCostUsd: 0.000001,
    attempts: 4,
    orchestrationActions: 10,
    orchestrationCostUsd: 0.00025,
  },
});

describe('summarize', () => {
  it('adds up a batch: counts, escalations by reason, costs and savings', () => {
    const s = summarize([a, b, c]);
    expect(s).toMatchObject({
      requests: 3,
      answered: 2,
      failed: 1,
      escalated: 2,
      byFinalModel: { small: 1, large: 1 },
      byRoute: { cascade: 3 },
      shadowed: 0,
      attempts: 8,
      // b: one retry on small; c: two retries on small, none on large.
      retries: 3,
      orchestrationActions: 23,
    });
    expect(s.escalationRate).toBeCloseTo(2 / 3, 12);
    // Every reason of the closed list, zeros included; events, not requests (c escalated twice).
    expect(Object.keys(s.escalationsByReason).sort()).toEqual([...ESCALATION_REASONS].sort());
    expect(s.escalationsByReason).toEqual({
      schema_invalid: 0,
      low_confidence: 1,
      rung_failed: 2,
      endpoint_unavailable: 0,
      latency_budget: 0,
      spend_cap: 0,
      config_error: 0,
    });
    expect(s.costUsd).toBeCloseTo(0.00002 + 0.00032 + 0.000001, 15);
    expect(s.baselineCostUsd).toBeCloseTo(0.0006, 15);
    expect(s.wastedCostUsd).toBeCloseTo(0.000021, 15);
    expect(s.orchestrationCostUsd).toBeCloseTo(0.000575, 15);
    // savings = baseline - routed cost - orchestration cost
    const savings = 0.0006 - 0.000341 - 0.000575;
    expect(s.savingsUsd).toBeCloseTo(savings, 15);
    expect(s.savingsPct!).toBeCloseTo(savings / 0.0006, 12);
    expect(s.baselineEstimatedShare).toBeCloseTo(2 / 3, 12);
  });

  it('shows savings when the orchestrator is cheap', () => {
    const cheap = [a, b].map((t) => ({
      ...t,
      totals: { ...t.totals, orchestrationCostUsd: 0 },
    }));
    const s = summarize(cheap);
    expect(s.savingsUsd).toBeCloseTo(0.0006 - 0.00034, 15);
    expect(s.savingsPct!).toBeCloseTo((0.0006 - 0.00034) / 0.0006, 12);
    expect(s.savingsPct!).toBeGreaterThan(0);
  });

  it('gives zeros and a null savings share for an empty batch', () => {
    const s = summarize([]);
    expect(s).toMatchObject({
      requests: 0,
      answered: 0,
      failed: 0,
      escalated: 0,
      escalationRate: 0,
      byFinalModel: {},
      byRoute: {},
      shadowed: 0,
      costUsd: 0,
      baselineCostUsd: 0,
      savingsUsd: 0,
      savingsPct: null,
      baselineEstimatedShare: 0,
    });
    expect(Object.values(s.escalationsByReason)).toEqual(ESCALATION_REASONS.map(() => 0));
  });

  it('is a pure function of its input', () => {
    const input = [a, b, c];
    const copy = structuredClone(input);
    expect(summarize(input)).toEqual(summarize(copy));
    expect(input).toEqual(copy);
  });
});

describe('formatting', () => {
  it('prints dollars with enough significant digits for micro-dollar costs', () => {
    expect(formatUsd(0.000123)).toBe('$0.000123');
    expect(formatUsd(0.0001234567)).toBe('$0.000123');
    expect(formatUsd(0.0456)).toBe('$0.0456');
    expect(formatUsd(1.5)).toBe('$1.50');
    expect(formatUsd(1234.567)).toBe('$1234.57');
    expect(formatUsd(-0.00321)).toBe('-$0.00321');
    expect(formatUsd(0.0000012)).toBe('$0.00000120');
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(1e-19)).toBe('$0');
  });

  it('prints rates as percentages', () => {
    expect(formatPct(2 / 3)).toBe('66.7%');
    expect(formatPct(0)).toBe('0.0%');
    expect(formatPct(null)).toBe('n/a');
  });

  it('renders an aligned table a person can read', () => {
    const table = formatSummaryTable(summarize([a, b, c]));
    const lines = table.trimEnd().split('\n');
    expect(table).toContain('Requests');
    expect(table).toMatch(/escalated\s+2\s+66\.7% escalation rate/);
    for (const reason of ESCALATION_REASONS) expect(table).toContain(reason);
    expect(table).toMatch(/low_confidence\s+1/);
    expect(table).toMatch(/rung_failed\s+2/);
    expect(table).toContain('$0.000341'); // routed cost
    expect(table).toContain('$0.000600'); // baseline
    expect(table).toContain('-$0.000316'); // savings: the orchestrator costs more than routing saves
    expect(table).toMatch(/large-only baseline.*estimated for 66\.7% of requests/);
    expect(table).toMatch(/Attempts\s+8\s+3 retries/);
    // Figures are right-aligned in one column: every figure ends at the same column.
    const figureRows = lines.filter((l) => /^ {2}\S.*\s{2}\S/.test(l) || /^Requests|^Attempts/.test(l));
    const ends = new Set(
      figureRows.map((l) => {
        const m = /^(.*?\S)\s{2,}(\S+)/.exec(l)!;
        return m.index + m[0].length;
      }),
    );
    expect(ends.size).toBe(1);
  });

  it('renders an empty batch without NaN', () => {
    const table = formatSummaryTable(summarize([]));
    expect(table).not.toMatch(/NaN|Infinity|undefined/);
    expect(table).toContain('(none)');
  });
});
