import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { DatasetError, loadDataset, parseJsonLine, promptKey } from '../../src/tools/recorded-models/dataset';
import { FaultInjector, mulberry32, parseFaultKinds } from '../../src/tools/recorded-models/faults';
import { ConcurrencyLimiter, QueueAbortedError } from '../../src/tools/recorded-models/limiter';
import { answerLogprobs } from '../../src/tools/recorded-models/logprobs';
import { shippedData } from '../helpers/data';

const MMLU_LLAMA = shippedData('synthetic', 'mmlu_llama.jsonl');
const TRIVIA_QWEN = shippedData('synthetic', 'triviaqa_qwen.jsonl');
const PRIME = shippedData('llmdrift', 'prime.jsonl');
const ROUTELLM_MMLU = shippedData('routellm', 'mmlu.jsonl');

interface Row {
  id: string;
  system?: string;
  prompt: string;
  models: Record<string, { answer: string; raw_confidence: number; tokens: { in: number; out: number } }>;
}

function firstRow(file: string): Row {
  const line = readFileSync(file, 'utf8').split('\n')[0] ?? '';
  return JSON.parse(line) as Row;
}

let dir: string;
function writeTemp(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'recorded-dataset-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('promptKey', () => {
  it('is the hex sha256 of system + user, plain utf8 concatenation', () => {
    const expected = createHash('sha256')
      .update('sys€' + 'user', 'utf8')
      .digest('hex');
    expect(promptKey('sys€', 'user')).toBe(expected);
    expect(promptKey('', 'abc')).toBe(createHash('sha256').update('abc').digest('hex'));
  });
});

describe('loadDataset', () => {
  it('indexes multi-model rows by (model, sha256(system + prompt))', async () => {
    const ds = await loadDataset([MMLU_LLAMA]);
    const row = firstRow(MMLU_LLAMA);
    expect(ds.models()).toEqual(Object.keys(row.models).sort());
    const reply = ds.lookup('llama3.1-8b', promptKey(row.system ?? '', row.prompt));
    const recorded = row.models['llama3.1-8b'];
    expect(reply?.answer).toBe(recorded?.answer);
    expect(reply?.rawConfidence).toBe(recorded?.raw_confidence);
    expect(reply?.confidenceKind).toBe('answer_logprob');
    expect(reply?.tokensIn).toBe(recorded?.tokens.in);
    expect(reply?.rowId).toBe(row.id);
    expect(reply?.line).toBe(1);
    expect(ds.lookup('llama3.1-8b', promptKey('', row.prompt))).toBeUndefined();
    expect(ds.stats.rows).toBe(300);
    // The MMLU set repeats one question, as the recorded one does: the first copy is kept, the
    // second's five model entries counted.
    expect(ds.stats.duplicates).toBe(5);
    expect(ds.stats.servable + ds.stats.duplicates).toBe(ds.stats.entries);
  });

  it('accepts the one-row-per-model llmdrift shape, with "" as the absent system', async () => {
    const ds = await loadDataset([PRIME]);
    expect(ds.models()).toContain('openaichat/gpt-4-0613');
    const row = JSON.parse(readFileSync(PRIME, 'utf8').split('\n')[0] ?? '') as {
      model: string;
      prompt: string;
      answer: string;
      latency_ms: number;
      cost_usd: number;
    };
    const reply = ds.lookup(row.model, promptKey('', row.prompt));
    expect(reply?.answer).toBe(row.answer);
    expect(reply?.latencyMs).toBe(row.latency_ms);
    expect(reply?.costUsd).toBe(row.cost_usd);
    expect(reply?.tokensIn).toBeUndefined();
    expect(ds.stats.servable).toBe(4000);
  });

  it("reads Python's bare -Infinity as a number", async () => {
    const ds = await loadDataset([TRIVIA_QWEN]);
    const line = readFileSync(TRIVIA_QWEN, 'utf8')
      .split('\n')
      .find((l) => l.includes('"raw_confidence": -Infinity'));
    const row = parseJsonLine(line ?? '') as {
      system: string;
      prompt: string;
      models: Record<string, unknown>;
    };
    const replies = Object.keys(row.models).map((m) => ds.lookup(m, promptKey(row.system, row.prompt)));
    expect(replies.some((r) => r?.rawConfidence === -Infinity)).toBe(true);
  });

  it('skips and counts model entries without an answer', async () => {
    const ds = await loadDataset([ROUTELLM_MMLU]);
    expect(ds.stats.entries).toBeGreaterThan(0);
    expect(ds.stats.skippedNoAnswer).toBe(ds.stats.entries);
    expect(ds.models()).toEqual([]);
  });

  it('keeps the first of duplicate keys, across files in the given order', async () => {
    const a = writeTemp('dup-a.jsonl', [
      JSON.stringify({ id: 'a1', prompt: 'p', models: { m: { answer: 'first' } } }),
      JSON.stringify({ id: 'a2', prompt: 'p', models: { m: { answer: 'second' }, n: {} } }),
    ]);
    const b = writeTemp('dup-b.jsonl', [
      JSON.stringify({ id: 'b1', model: 'm', prompt: 'p', answer: 'third' }),
    ]);
    const ds = await loadDataset([a, b]);
    expect(ds.lookup('m', promptKey('', 'p'))?.answer).toBe('first');
    expect(ds.stats).toMatchObject({
      files: 2,
      rows: 3,
      entries: 4,
      servable: 1,
      duplicates: 2,
      skippedNoAnswer: 1,
    });
    expect(ds.promptCount).toBe(1);
  });

  it('resolves aliases and rejects aliases to unknown models', async () => {
    const ds = await loadDataset([MMLU_LLAMA], { aliases: { small: 'llama3.2-1b' } });
    const row = firstRow(MMLU_LLAMA);
    expect(ds.resolveModel('small')).toBe('llama3.2-1b');
    expect(ds.lookup('small', promptKey(row.system ?? '', row.prompt))?.answer).toBe(
      row.models['llama3.2-1b']?.answer,
    );
    await expect(loadDataset([MMLU_LLAMA], { aliases: { big: 'gpt-9' } })).rejects.toThrow(/gpt-9/);
  });

  it('names the file and line of a bad line', async () => {
    const good = JSON.stringify({ id: 'x', prompt: 'p', models: { m: { answer: 'a' } } });
    const cases: [string, RegExp][] = [
      ['{"id": "broken", "prompt": ', /invalid JSON/],
      ['[1, 2]', /JSON object/],
      [JSON.stringify({ id: 'y', models: { m: { answer: 'a' } } }), /"prompt"/],
      [JSON.stringify({ id: 'y', prompt: 'q' }), /neither "models" nor a string "model"/],
      [
        JSON.stringify({ id: 'y', prompt: 'q', models: { m: { answer: 7 } } }),
        /models\.m\.answer must be a string/,
      ],
      [
        JSON.stringify({ id: 'y', prompt: 'q', models: { m: { answer: 'a', tokens: { in: 'x' } } } }),
        /tokens\.in/,
      ],
    ];
    for (const [i, [bad, detail]] of cases.entries()) {
      const file = writeTemp(`bad-${i}.jsonl`, [good, '', bad]);
      const err = await loadDataset([file]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).message).toContain(`${file}:3:`);
      expect((err as DatasetError).message).toMatch(detail);
      expect((err as DatasetError).line).toBe(3);
    }
  });

  it('names a missing file', async () => {
    const missing = path.join(dir, 'nope.jsonl');
    await expect(loadDataset([missing])).rejects.toThrow(missing);
  });
});

describe('parseJsonLine', () => {
  it('leaves NaN/Infinity inside strings alone and maps bare ones', () => {
    const v = parseJsonLine('{"a": "NaN -Infinity \\" Infinity", "b": -Infinity, "c": [NaN, Infinity]}') as {
      a: string;
      b: number;
      c: number[];
    };
    expect(v.a).toBe('NaN -Infinity " Infinity');
    expect(v.b).toBe(-Infinity);
    expect(v.c[0]).toBeNaN();
    expect(v.c[1]).toBe(Infinity);
    expect(() => parseJsonLine('{"a": nope}')).toThrow();
  });
});

// Small parts of the recorded-model server, checked without HTTP.
describe('answer logprobs', () => {
  const base = { model: 'm', rowId: 'r', system: '', prompt: 'p', answer: 'B', file: 'f', line: 1 };
  it('serves the recorded answer logprob as one token', () => {
    const built = answerLogprobs({ ...base, confidenceKind: 'answer_logprob', rawConfidence: -0.5 });
    expect(built.logprobs?.content).toEqual([
      { token: 'B', logprob: -0.5, bytes: [66], top_logprobs: [{ token: 'B', logprob: -0.5, bytes: [66] }] },
    ]);
    expect(built.derived).toEqual([]);
  });
  it('never invents one', () => {
    expect(
      answerLogprobs({ ...base, confidenceKind: 'self_check_log_p_yes', rawConfidence: -0.5 }).logprobs,
    ).toBeNull();
    expect(answerLogprobs({ ...base }).logprobs).toBeNull();
  });
});

describe('ConcurrencyLimiter', () => {
  it('queues beyond the limit and grants slots in FIFO order', async () => {
    const limiter = new ConcurrencyLimiter(() => 1);
    const order: string[] = [];
    const first = await limiter.acquire('m');
    const waiting = ['a', 'b', 'c'].map((name) =>
      limiter.acquire('m').then((release) => {
        order.push(name);
        return release;
      }),
    );
    expect(limiter.queueDepth('m')).toBe(3);
    expect(limiter.inFlight('m')).toBe(1);
    first();
    first(); // a second release of the same slot is ignored
    for (const p of waiting) (await p)();
    expect(order).toEqual(['a', 'b', 'c']);
    expect(limiter.queueDepth('m')).toBe(0);
    expect(limiter.inFlight('m')).toBe(0);
  });

  it('removes a waiter whose signal aborts', async () => {
    const limiter = new ConcurrencyLimiter(() => 1);
    const held = await limiter.acquire('m');
    const ac = new AbortController();
    const queued = limiter.acquire('m', ac.signal);
    expect(limiter.queueDepth('m')).toBe(1);
    ac.abort();
    await expect(queued).rejects.toBeInstanceOf(QueueAbortedError);
    expect(limiter.queueDepth('m')).toBe(0);
    held();
    expect(limiter.inFlight('m')).toBe(0);
  });
});

describe('FaultInjector', () => {
  it('draws the same faults for the same seed', () => {
    const run = (seed: number): (string | null)[] => {
      const f = new FaultInjector({ faultRate: 0.5, faultKinds: ['429', '500', 'reset'], seed });
      return Array.from({ length: 40 }, () => f.decide('m', undefined)?.kind ?? null);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(run(7).filter((k) => k !== null).length).toBeGreaterThan(5);
    expect(mulberry32(1)()).toBe(mulberry32(1)());
  });

  it('consumes a model script before the any-model script; headers win and consume nothing', () => {
    const f = new FaultInjector();
    f.setScript(undefined, ['500']);
    f.setScript('m', ['429', 'ok']);
    expect(f.decide('m', 'reset')).toEqual({ kind: 'reset', source: 'header' });
    expect(f.decide('m', undefined)).toEqual({ kind: '429', source: 'script' });
    expect(f.decide('m', undefined)).toBeNull();
    expect(f.decide('m', undefined)).toEqual({ kind: '500', source: 'script' });
    expect(f.decide('m', undefined)).toBeNull();
  });

  it('validates kinds and rates', () => {
    expect(parseFaultKinds('429, timeout')).toEqual(['429', 'timeout']);
    expect(() => parseFaultKinds('429,503')).toThrow(/503/);
    expect(() => new FaultInjector({ faultRate: 2 })).toThrow(/faultRate/);
  });
});
