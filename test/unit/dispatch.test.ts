import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ModelCallResult, ModelProvider } from '../../src/request/providers/types';
import {
  candidatesFromSnapshot,
  decideDispatch,
  DEFAULT_SERVICE_MS,
  DEFAULT_TOKENS_OUT,
  dispatchRecord,
  scoreCandidate,
  waitForDepth,
  type DispatchCandidateInput,
  type DispatchInput,
  type EndpointSnapshot,
} from '../../src/request/router/dispatch';
import { EndpointStats, median, withEndpointStats } from '../../src/watch/telemetry/endpoint-stats';
import { gaugeForModel, parseSamples } from '../../src/watch/telemetry/prometheus-text';

const NO_SIGNALS = { temporalBacklog: null, workerInFlight: null, endpointQueue: null };

function candidate(model: string, over: Partial<DispatchCandidateInput> = {}): DispatchCandidateInput {
  return {
    model,
    pricing: { inputPerMTok: 1, outputPerMTok: 1 },
    concurrency: 1,
    serviceMs: 100,
    serviceSource: 'configured',
    tokensOut: 10,
    signals: { ...NO_SIGNALS },
    ...over,
  };
}

const small = (over: Partial<DispatchCandidateInput> = {}) =>
  candidate('small', { pricing: { inputPerMTok: 0.2, outputPerMTok: 0.2 }, serviceMs: 400, ...over });
const large = (over: Partial<DispatchCandidateInput> = {}) =>
  candidate('large', {
    pricing: { inputPerMTok: 3, outputPerMTok: 15 },
    serviceMs: 900,
    concurrency: 8,
    ...over,
  });

describe('waitForDepth: depth / concurrency × service', () => {
  it('divides the depth over the slots', () => {
    expect(waitForDepth(6, 2, 500)).toBe(1500);
    expect(waitForDepth(1, 4, 400)).toBe(100);
    expect(waitForDepth(0, 1, 400)).toBe(0);
  });
  it('is null for an unread signal', () => {
    expect(waitForDepth(null, 1, 400)).toBeNull();
    expect(waitForDepth(NaN, 1, 400)).toBeNull();
  });
  it('treats a missing or nonsensical concurrency as one slot and a negative depth as none', () => {
    expect(waitForDepth(3, 0, 100)).toBe(300);
    expect(waitForDepth(3, NaN, 100)).toBe(300);
    expect(waitForDepth(-2, 1, 100)).toBe(0);
  });
});

describe('scoreCandidate', () => {
  it('takes the largest wait any signal implies, not their sum', () => {
    const s = scoreCandidate(
      small({ concurrency: 2, signals: { temporalBacklog: 4, workerInFlight: 2, endpointQueue: 1 } }),
      0,
      10_000,
      100,
    );
    expect(s.waitBySignalMs).toEqual({ temporalBacklog: 800, workerInFlight: 400, endpointQueue: 200 });
    expect(s.expectedWaitMs).toBe(800);
    expect(s.expectedServiceMs).toBe(400);
  });
  it('lets whichever signal is deepest decide (the endpoint queue here)', () => {
    const s = scoreCandidate(
      small({ signals: { temporalBacklog: 0, workerInFlight: 1, endpointQueue: 5 } }),
      0,
      1_000,
      1,
    );
    expect(s.expectedWaitMs).toBe(2_000);
    expect(s.fits).toBe(false);
  });
  it('ignores unread signals, and with none read the wait is zero', () => {
    expect(
      scoreCandidate(small({ signals: { ...NO_SIGNALS, endpointQueue: 2 } }), 0, 1e9, 1).expectedWaitMs,
    ).toBe(800);
    expect(scoreCandidate(small(), 0, 1e9, 1).expectedWaitMs).toBe(0);
  });
  it('prices the request tokens in and the expected tokens out', () => {
    const s = scoreCandidate(large({ tokensOut: 200 }), 1, 1e9, 1_000);
    expect(s.estimatedCostUsd).toBeCloseTo((1_000 * 3 + 200 * 15) / 1e6, 15);
    expect(s.index).toBe(1);
  });
  it('fits when wait + service is at most the budget (the boundary fits)', () => {
    const c = small({ signals: { ...NO_SIGNALS, temporalBacklog: 1 } }); // 400 + 400
    expect(scoreCandidate(c, 0, 800, 1).fits).toBe(true);
    expect(scoreCandidate(c, 0, 799.9, 1).fits).toBe(false);
  });
});

describe('decideDispatch', () => {
  const input = (budgetMs: number, candidates: DispatchCandidateInput[], tokensIn = 100): DispatchInput => ({
    budgetMs,
    tokensIn,
    candidates,
  });

  it('chooses the cheapest candidate when it fits', () => {
    const d = decideDispatch(input(2_000, [small(), large()]));
    expect(d).toMatchObject({ chosen: 0, cheapest: 0, budgetExceeded: false, order: [0, 1] });
  });

  it('skips a cheap candidate whose queue breaks the budget for a dearer one that fits', () => {
    const d = decideDispatch(
      input(1_500, [small({ signals: { ...NO_SIGNALS, temporalBacklog: 7 } }), large()]),
    );
    expect(d.candidates[0]).toMatchObject({ expectedWaitMs: 2_800, fits: false });
    expect(d.candidates[1]).toMatchObject({ expectedWaitMs: 0, fits: true });
    expect(d).toMatchObject({ chosen: 1, cheapest: 0, budgetExceeded: false, order: [1, 0] });
  });

  it('keeps the cheap candidate under a loose budget however long its queue', () => {
    const d = decideDispatch(
      input(60_000, [small({ signals: { ...NO_SIGNALS, temporalBacklog: 7 } }), large()]),
    );
    expect(d).toMatchObject({ chosen: 0, cheapest: 0, budgetExceeded: false });
  });

  it('takes the fastest when nothing fits, flagged budgetExceeded', () => {
    const d = decideDispatch(
      input(500, [
        small({ signals: { ...NO_SIGNALS, temporalBacklog: 3 } }), // 1200 + 400
        large(), // 900
        candidate('mid', {
          pricing: { inputPerMTok: 1, outputPerMTok: 1 },
          serviceMs: 700,
          signals: { ...NO_SIGNALS, workerInFlight: 1 },
        }), // 700 + 700
      ]),
    );
    expect(d.budgetExceeded).toBe(true);
    expect(d.chosen).toBe(1);
    expect(d.order).toEqual([1, 2, 0]);
    expect(d.cheapest).toBe(0);
  });

  it('orders fallbacks: the other fitting candidates by cost, then the rest from the fastest', () => {
    const d = decideDispatch(
      input(1_000, [
        candidate('a', { pricing: { inputPerMTok: 1, outputPerMTok: 1 }, serviceMs: 2_000 }), // too slow
        candidate('b', { pricing: { inputPerMTok: 5, outputPerMTok: 5 }, serviceMs: 500 }),
        candidate('c', { pricing: { inputPerMTok: 2, outputPerMTok: 2 }, serviceMs: 900 }),
        candidate('d', { pricing: { inputPerMTok: 0.5, outputPerMTok: 0.5 }, serviceMs: 3_000 }), // too slow
      ]),
    );
    expect(d.order).toEqual([2, 1, 0, 3]);
    expect(d.cheapest).toBe(3);
  });

  it('finds the cheapest by estimated cost, not by position', () => {
    const d = decideDispatch(input(1e9, [large(), small()]));
    expect(d).toMatchObject({ chosen: 1, cheapest: 1 });
  });

  it('counts expected output tokens in the cost: a verbose model can be the dearer one', () => {
    const terse = candidate('terse', { pricing: { inputPerMTok: 1, outputPerMTok: 10 }, tokensOut: 5 });
    const verbose = candidate('verbose', { pricing: { inputPerMTok: 1, outputPerMTok: 2 }, tokensOut: 500 });
    expect(decideDispatch(input(1e9, [verbose, terse], 100)).chosen).toBe(1);
  });

  it('breaks cost ties by candidate order, and speed ties by cost', () => {
    expect(decideDispatch(input(1e9, [candidate('x'), candidate('y')])).chosen).toBe(0);
    const tie = decideDispatch(
      input(10, [
        candidate('dear', { pricing: { inputPerMTok: 9, outputPerMTok: 9 } }),
        candidate('cheap', { pricing: { inputPerMTok: 1, outputPerMTok: 1 } }),
      ]),
    );
    expect(tie).toMatchObject({ budgetExceeded: true, chosen: 1 });
  });

  it('refuses an empty candidate list', () => {
    expect(() => decideDispatch(input(1_000, []))).toThrow(/at least one candidate/);
  });
});

describe('candidatesFromSnapshot and dispatchRecord', () => {
  const snapshot: EndpointSnapshot = {
    readAt: '2025-01-01T00:00:00.000Z',
    readMs: 3.2,
    models: [
      {
        model: 'm-small',
        temporalBacklog: 5,
        workerInFlight: 1,
        endpointQueue: 0,
        observedServiceMs: 450,
        observedSamples: 8,
        observedTokensOut: 1,
      },
      {
        model: 'm-large',
        temporalBacklog: null,
        workerInFlight: 0,
        endpointQueue: null,
        observedServiceMs: null,
        observedSamples: 0,
        observedTokensOut: null,
        errors: ['temporalBacklog: DescribeTaskQueue took more than 1000 ms'],
      },
    ],
  };
  const models = [
    {
      model: 'm-small',
      pricing: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      concurrency: 1,
      expectedLatencyMs: 600,
    },
    {
      model: 'm-large',
      pricing: { inputPerMTok: 3, outputPerMTok: 3 },
      concurrency: 4,
      expectedLatencyMs: 900,
    },
    { model: 'm-unread', pricing: { inputPerMTok: 10, outputPerMTok: 10 } },
  ];

  it('uses observed latency when there is one, else the configured expectation, else the default', () => {
    const cs = candidatesFromSnapshot(models, snapshot);
    expect(cs.map((c) => [c.serviceMs, c.serviceSource])).toEqual([
      [450, 'observed'],
      [900, 'configured'],
      [DEFAULT_SERVICE_MS, 'configured'],
    ]);
    expect(cs.map((c) => c.tokensOut)).toEqual([1, DEFAULT_TOKENS_OUT, DEFAULT_TOKENS_OUT]);
    expect(cs[2]).toMatchObject({ concurrency: 1, signals: NO_SIGNALS });
    expect(cs[0]!.signals).toEqual({ temporalBacklog: 5, workerInFlight: 1, endpointQueue: 0 });
  });

  it('records every candidate with its signals, waits, cost, fit and read errors', () => {
    const input: DispatchInput = {
      budgetMs: 1_500,
      tokensIn: 120,
      candidates: candidatesFromSnapshot(models, snapshot),
    };
    const decision = decideDispatch(input);
    const record = dispatchRecord(input, decision, snapshot);
    expect(record).toMatchObject({
      budgetMs: 1_500,
      tokensIn: 120,
      chosen: 'm-large',
      cheapest: 'm-small',
      budgetExceeded: false,
      readAt: snapshot.readAt,
      readMs: 3.2,
    });
    expect(record.candidates[0]).toEqual({
      model: 'm-small',
      temporalBacklog: 5,
      workerInFlight: 1,
      endpointQueue: 0,
      expectedWaitMs: 2_250,
      expectedServiceMs: 450,
      estimatedCostUsd: (120 * 0.2 + 1 * 0.2) / 1e6,
      fits: false,
      concurrency: 1,
      waitBySignalMs: { temporalBacklog: 2_250, workerInFlight: 450, endpointQueue: 0 },
      serviceSource: 'observed',
    });
    expect(record.candidates[1]).toMatchObject({
      model: 'm-large',
      temporalBacklog: null,
      fits: true,
      errors: ['temporalBacklog: DescribeTaskQueue took more than 1000 ms'],
    });
    expect(record.candidates[2]).not.toHaveProperty('errors');
    // JSON-safe: it travels in the workflow result and history.
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });
});

describe('prometheus text: one gauge for one model', () => {
  it("reads the recorded-model server's recorded_queue_depth as prom-client writes it", async () => {
    const registry = new Registry();
    const depth = new Gauge({
      name: 'recorded_queue_depth',
      help: 'x',
      labelNames: ['model'],
      registers: [registry],
    });
    depth.set({ model: 'llama3.1-8b' }, 6);
    depth.set({ model: 'llama3.1-70b' }, 0);
    depth.set({ model: 'openaichat/gpt-4-0613' }, 2);
    depth.set({ model: 'we"ird\\name' }, 3);
    new Gauge({ name: 'recorded_queue_depth_other', help: 'y', registers: [registry] }).set(99);
    const text = await registry.metrics();
    expect(gaugeForModel(text, 'recorded_queue_depth', 'llama3.1-8b')).toBe(6);
    expect(gaugeForModel(text, 'recorded_queue_depth', 'llama3.1-70b')).toBe(0);
    expect(gaugeForModel(text, 'recorded_queue_depth', 'openaichat/gpt-4-0613')).toBe(2);
    expect(gaugeForModel(text, 'recorded_queue_depth', 'we"ird\\name')).toBe(3);
    expect(gaugeForModel(text, 'recorded_queue_depth', 'not-served')).toBeNull();
    expect(gaugeForModel(text, 'no_such_metric', 'llama3.1-8b')).toBeNull();
  });

  it("reads vLLM's gauge (model_name label, a colon in the name) and sums unlabelled series", () => {
    const vllm = [
      '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
      '# TYPE vllm:num_requests_waiting gauge',
      'vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 4.0',
      'vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 16.0',
    ].join('\n');
    expect(gaugeForModel(vllm, 'vllm:num_requests_waiting', 'meta-llama/Llama-3.1-8B-Instruct')).toBe(4);
    const plain = 'queue_depth{shard="a"} 2 1700000000000\nqueue_depth{shard="b"} 3\n';
    expect(gaugeForModel(plain, 'queue_depth', 'whatever')).toBe(5);
  });

  it('skips malformed lines and keeps escapes, +Inf and NaN', () => {
    const text = [
      'm{model="a\\nb"} 1',
      'm{model="x} 5', // unterminated
      'm{model="y"}', // no value
      'm{model="z"} abc',
      'm{model="inf"} +Inf',
      'm{model="nan"} NaN',
      'm 7',
    ].join('\n');
    const samples = parseSamples(text, 'm');
    expect(samples.map((s) => [s.labels.model ?? null, s.value])).toEqual([
      ['a\nb', 1],
      ['inf', Infinity],
      ['nan', NaN],
      [null, 7],
    ]);
    // Non-finite series are not a queue depth.
    expect(gaugeForModel(text, 'm', 'inf')).toBeNull();
  });
});

describe('EndpointStats: the worker registry', () => {
  it('counts calls in flight until they end, once each', () => {
    const stats = new EndpointStats(3);
    const a = stats.begin('m');
    const b = stats.begin('m');
    expect(stats.reading('m').inFlight).toBe(2);
    a({ ok: true, latencyMs: 100, tokensOut: 1 });
    a({ ok: true, latencyMs: 100, tokensOut: 1 });
    expect(stats.reading('m').inFlight).toBe(1);
    b({ ok: false });
    expect(stats.reading('m')).toEqual({ inFlight: 0, medianLatencyMs: 100, medianTokensOut: 1, samples: 1 });
    expect(stats.reading('other')).toEqual({
      inFlight: 0,
      medianLatencyMs: null,
      medianTokensOut: null,
      samples: 0,
    });
  });

  it('keeps a rolling window of successful latencies; failures do not count', () => {
    const stats = new EndpointStats(3);
    for (const ms of [1_000, 200, 300, 400])
      stats.begin('m')({ ok: true, latencyMs: ms, tokensOut: ms / 100 });
    stats.begin('m')({ ok: false });
    expect(stats.reading('m')).toMatchObject({ samples: 3, medianLatencyMs: 300, medianTokensOut: 3 });
    stats.reset('m');
    expect(stats.reading('m').medianLatencyMs).toBeNull();
  });

  it('median', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('withEndpointStats instruments a provider factory', async () => {
    const stats = new EndpointStats();
    let release!: (r: ModelCallResult) => void;
    let fail!: (e: Error) => void;
    const inner: ModelProvider = {
      call: () =>
        new Promise<ModelCallResult>((resolve, reject) => {
          release = resolve;
          fail = reject;
        }),
    };
    const factory = withEndpointStats(() => inner, stats);
    expect(factory('m')).toBe(factory('m')); // one wrapper per provider
    const pending = factory('m').call({ messages: [] } as never);
    expect(stats.reading('m').inFlight).toBe(1);
    release({ latencyMs: 250, usage: { tokensIn: 10, tokensOut: 4 } } as ModelCallResult);
    await pending;
    expect(stats.reading('m')).toMatchObject({ inFlight: 0, medianLatencyMs: 250, medianTokensOut: 4 });
    const failing = factory('m').call({ messages: [] } as never);
    fail(new Error('boom'));
    await expect(failing).rejects.toThrow('boom');
    expect(stats.reading('m')).toMatchObject({ inFlight: 0, samples: 1 });
  });
});
