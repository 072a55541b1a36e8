/**
 * Live streaming's rule and channel (issue #17), without I/O: which rung's answer may stream as
 * the model produces it (src/request/router/live-stream.ts, the one rule the activity and the gateway
 * share), and the in-process channel's states (src/temporal/activities/live-channel.ts): one subscriber per
 * workflow, a sink only for a rung nothing can overrule and for the request the subscriber sent,
 * a retry may stream only while nothing has reached the caller.
 */
import { describe, expect, it } from 'vitest';
import { LiveChannels, type LiveCall, type LiveListener } from '../../src/temporal/activities/live-channel';
import {
  escalatedBefore,
  liveStreamBlocker,
  mayStreamLive,
  servedAsIs,
  type LiveRequest,
} from '../../src/request/router/live-stream';
import type { PolicySnapshot, RungSnapshot } from '../../src/request/router/policy';

function rung(model: string, over: Partial<RungSnapshot> = {}): RungSnapshot {
  return {
    model,
    taskQueue: `cascade-model-${model}`,
    pricing: { inputPerMTok: 1, outputPerMTok: 1 },
    timeoutMs: 30_000,
    threshold: null,
    confidence: null,
    calibration: { kind: 'identity' },
    judge: null,
    ...over,
  };
}

function policy(over: Partial<PolicySnapshot>): PolicySnapshot {
  return {
    task: 't',
    route: 'static',
    configVersion: 'v1',
    calibrationVersion: 'none',
    rungs: [rung('large')],
    responseSchema: null,
    limits: {} as PolicySnapshot['limits'],
    costPerAction: 0,
    execution: 'lean',
    ...over,
  };
}

const checkedSmall = rung('small', { confidence: 'answer_logprob', threshold: 0.8 });
const staticP = policy({ route: 'static' });
const cascadeP = policy({ route: 'cascade', rungs: [checkedSmall, rung('large')] });
const plain: LiveRequest = {};

describe('servedAsIs: the rungs whose answer nothing can overrule', () => {
  it('static: the one rung', () => {
    expect(servedAsIs(staticP, plain, 0)).toBe(true);
    expect(mayStreamLive(staticP, plain)).toBe(true);
  });

  it('cascade: the last rung, never a rung whose confidence check may escalate', () => {
    expect(servedAsIs(cascadeP, plain, 0)).toBe(false);
    expect(servedAsIs(cascadeP, plain, 1)).toBe(true);
    expect(mayStreamLive(cascadeP, plain)).toBe(true);
    // A rung without a check (a calibration artefact may leave one without a source) stands.
    const unchecked = policy({ route: 'cascade', rungs: [rung('small'), rung('large')] });
    expect(servedAsIs(unchecked, plain, 0)).toBe(true);
  });

  it('direct-small: every rung without a schema, none with one', () => {
    const direct = policy({ route: 'direct-small', rungs: [rung('small'), rung('large')] });
    expect([0, 1].map((i) => servedAsIs(direct, plain, i))).toEqual([true, true]);
    const schema = { ...direct, responseSchema: { type: 'object' } };
    expect([0, 1].map((i) => servedAsIs(schema, plain, i))).toEqual([false, false]);
    expect(mayStreamLive(schema, plain)).toBe(false);
  });

  it('latency-budget: the chosen candidate is served unchecked', () => {
    const lb = policy({ route: 'latency-budget', rungs: [rung('small'), rung('large')] });
    expect(servedAsIs(lb, plain, 0)).toBe(true);
    expect(escalatedBefore(lb, 1)).toBeNull();
  });

  it('never with a schema, tools or the caller logprobs, whatever the route', () => {
    const tools: LiveRequest = {
      tools: { definitions: [{ type: 'function', function: { name: 'f' } }] },
    };
    const logprobs: LiveRequest = { params: { logprobs: true } };
    for (const p of [staticP, cascadeP]) {
      expect(servedAsIs({ ...p, responseSchema: { type: 'object' } }, plain, p.rungs.length - 1)).toBe(false);
      expect(servedAsIs(p, tools, p.rungs.length - 1)).toBe(false);
      expect(servedAsIs(p, logprobs, p.rungs.length - 1)).toBe(false);
    }
    expect(liveStreamBlocker(staticP, tools)).toMatch(/tool calls/);
    expect(liveStreamBlocker(staticP, { params: { logprobs: false, stop: ['x'] } })).toBeNull();
  });

  it('no such rung: no', () => {
    expect(servedAsIs(staticP, plain, 1)).toBe(false);
    expect(servedAsIs(staticP, plain, -1)).toBe(false);
  });

  it('escalatedBefore: known from the policy unless a rung before may be skipped', () => {
    expect(escalatedBefore(cascadeP, 0)).toBe(false);
    expect(escalatedBefore(cascadeP, 1)).toBe(true);
    const skipping = policy({
      route: 'cascade',
      rungs: [{ ...checkedSmall, skip: { kind: 'always' } }, rung('large')],
    });
    expect(escalatedBefore(skipping, 1)).toBeNull();
  });
});

class Recorder implements LiveListener {
  deltas: string[] = [];
  breaks: string[] = [];
  delta(text: string): void {
    this.deltas.push(text);
  }
  broken(message: string, call: LiveCall): void {
    this.breaks.push(`${call.model}#${call.attempt}: ${message}`);
  }
}

const asked = { messages: [{ role: 'user' as const, content: 'hi' }], maxTokens: 10 };

describe('LiveChannels', () => {
  it('one subscriber per workflow; a sink only for a rung served as it is and the request asked', () => {
    const channels = new LiveChannels();
    const listener = new Recorder();
    const sub = channels.subscribe('w1', { policy: cascadeP, request: asked, listener })!;
    expect(sub).not.toBeNull();
    expect(channels.subscribe('w1', { policy: cascadeP, request: asked, listener })).toBeNull();
    // No subscriber, the checked rung, a model that is not the rung's, another request: no sink.
    expect(channels.open('w2', { rung: 1, model: 'large', attempt: 1 }, asked)).toBeNull();
    expect(channels.open('w1', { rung: 0, model: 'small', attempt: 1 }, asked)).toBeNull();
    expect(channels.open('w1', { rung: 1, model: 'small', attempt: 1 }, asked)).toBeNull();
    expect(
      channels.open('w1', { rung: 1, model: 'large', attempt: 1 }, { ...asked, maxTokens: 11 }),
    ).toBeNull();
    const sink = channels.open('w1', { rung: 1, model: 'large', attempt: 1 }, asked)!;
    expect(sink).not.toBeNull();
    // One attempt streams at a time.
    expect(channels.open('w1', { rung: 1, model: 'large', attempt: 2 }, asked)).toBeNull();
    sink.delta('Hello');
    sink.delta('');
    sink.delta(' world');
    sink.done();
    expect(listener.deltas).toEqual(['Hello', ' world']);
    expect(sub.text).toBe('Hello world');
    expect(sub.state).toBe('done');
    expect(sub.call).toEqual({ rung: 1, model: 'large', attempt: 1 });
    // Done: nothing streams again (a re-run of the call would be another attempt's text).
    expect(channels.open('w1', { rung: 1, model: 'large', attempt: 2 }, asked)).toBeNull();
    sub.close();
    expect(channels.size).toBe(0);
    sink.delta('late');
    expect(listener.deltas).toEqual(['Hello', ' world']);
  });

  it('an attempt that fails before any text leaves the way open to the retry; after text, never', () => {
    const channels = new LiveChannels();
    const listener = new Recorder();
    const sub = channels.subscribe('w', { policy: staticP, request: asked, listener })!;
    const first = channels.open('w', { rung: 0, model: 'large', attempt: 1 }, asked)!;
    first.failed('429');
    expect(sub.state).toBe('waiting');
    expect(listener.breaks).toEqual([]);
    const second = channels.open('w', { rung: 0, model: 'large', attempt: 2 }, asked)!;
    expect(second).not.toBeNull();
    // The first attempt's sink is dead once another attempt streams.
    first.delta('stale');
    second.delta('Part');
    second.failed('connection reset');
    expect(sub.state).toBe('broken');
    expect(listener.deltas).toEqual(['Part']);
    expect(listener.breaks).toEqual(['large#2: connection reset']);
    expect(channels.open('w', { rung: 0, model: 'large', attempt: 3 }, asked)).toBeNull();
    sub.close();
  });

  it("a listener's exception never reaches the model call", () => {
    const channels = new LiveChannels();
    const throwing: LiveListener = {
      delta() {
        throw new Error('client gone');
      },
      broken() {
        throw new Error('client gone');
      },
    };
    const sub = channels.subscribe('w', { policy: staticP, request: asked, listener: throwing })!;
    const sink = channels.open('w', { rung: 0, model: 'large', attempt: 1 }, asked)!;
    expect(() => sink.delta('x')).not.toThrow();
    expect(() => sink.failed('boom')).not.toThrow();
    sub.close();
  });
});
