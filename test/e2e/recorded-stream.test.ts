/**
 * Streaming over real HTTP (issue #17): the recorded-model server's `stream: true` (the recorded
 * reply as OpenAI chunks, the recorded latency spread over its pieces, a gate a test holds after
 * the first piece, a cut mid-stream), and the OpenAI-compatible provider's streamed call, whose
 * result must be the whole call's (answer, usage, cost, finish reason, logprobs) while each piece
 * reaches `onDelta` as it arrives. No assertion on time: the gate proves the pieces come apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { modelSchema } from '../../src/request/config/schema';
import { OpenAICompatibleProvider } from '../../src/request/providers/openai-compatible';
import { ProviderError, type ModelCallRequest } from '../../src/request/providers/types';
import { startRecordedServer, type RecordedServer } from '../../src/tools/recorded-models/server';
import type { StreamGateInfo } from '../../src/tools/recorded-models/stream';
import { shippedData } from '../helpers/data';
import { readRows } from '../helpers/rows';

const DATA = shippedData('synthetic', 'gsm8k_llama.jsonl');
const MODEL = 'llama3.1-8b';
const row = readRows(DATA)[0]!;
const recorded = row.models[MODEL]!;
const messages = [
  { role: 'system' as const, content: row.system! },
  { role: 'user' as const, content: row.prompt },
];

let server: RecordedServer;
let gate: ((info: StreamGateInfo) => Promise<'continue' | 'cut'> | 'continue' | 'cut') | null = null;
const gateCalls: StreamGateInfo[] = [];

beforeAll(async () => {
  server = await startRecordedServer({
    dataFiles: [DATA],
    latencyScale: 0,
    streamGate: (info) => {
      gateCalls.push(info);
      return gate ? gate(info) : 'continue';
    },
  });
});
afterAll(async () => {
  await server?.close();
});

function provider(): OpenAICompatibleProvider {
  return new OpenAICompatibleProvider(
    'small',
    modelSchema.parse({
      provider: 'openai-compatible',
      baseUrl: server.baseUrl,
      model: MODEL,
      pricing: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      timeoutMs: 10_000,
      logprobs: true,
    }),
  );
}

/** A deferred the test resolves: the gate holds the stream until then. */
function held(): { wait: Promise<'continue' | 'cut'>; release: (v: 'continue' | 'cut') => void } {
  let release!: (v: 'continue' | 'cut') => void;
  const wait = new Promise<'continue' | 'cut'>((r) => (release = r));
  return { wait, release };
}

describe('recorded-model server: stream: true', () => {
  it('streams the recorded reply as OpenAI chunks: role, pieces that concatenate to it, finish, usage', async () => {
    const openai = new OpenAI({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
    const whole = await openai.chat.completions.create({ model: MODEL, messages });
    const { data: stream, response } = await openai.chat.completions
      .create({ model: MODEL, messages, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-recorded-row-id')).toBe(row.id);
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const pieces = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter((p) => p !== '');
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(recorded.answer);
    expect(pieces.join('')).toBe(whole.choices[0]!.message.content);
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0]!.finish_reason)).toEqual(
      ['stop'],
    );
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toEqual(whole.usage);
  });

  it('holds the rest of the answer at the gate, after the first piece went out', async () => {
    const hold = held();
    gate = () => hold.wait;
    try {
      const res = await fetch(`${server.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages, stream: true }),
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      // Read until the first content piece: it arrives while the gate still holds the rest.
      while (!/"content":"[^"]/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(text).not.toContain('[DONE]');
      hold.release('continue');
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    } finally {
      gate = null;
    }
  });
});

describe('OpenAICompatibleProvider, streamed (onDelta)', () => {
  const request: ModelCallRequest = { messages, logprobs: true, topLogprobs: 1 };

  it('hands each piece on as it arrives; the result is the whole call', async () => {
    const p = provider();
    const whole = await p.call(request);
    const deltas: string[] = [];
    const streamed = await p.call({ ...request, onDelta: (t) => deltas.push(t) });
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(recorded.answer);
    expect(streamed.answer).toBe(whole.answer);
    expect(streamed.usage).toEqual(whole.usage);
    expect(streamed.costUsd).toBe(whole.costUsd);
    expect(streamed.finishReason).toBe(whole.finishReason);
    expect(streamed.logprobs).toEqual(whole.logprobs);
    expect(streamed.derivedFields.sort()).toEqual(whole.derivedFields.sort());
    // The endpoint was asked for a stream with usage, and for a whole body.
    const sent = server.requestLog.list(MODEL).slice(-2);
    expect(sent.map((e) => (e.body as { stream?: boolean }).stream ?? false)).toEqual([false, true]);
  });

  it('a stream cut off mid-answer is a connection failure, after the pieces already handed on', async () => {
    // Cut once the first piece has reached the caller (an RST may otherwise discard it unread).
    const first = held();
    gate = () => first.wait;
    try {
      const deltas: string[] = [];
      const err = await provider()
        .call({
          messages,
          onDelta: (t) => {
            deltas.push(t);
            first.release('cut');
          },
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).details).toMatchObject({ errorClass: 'connection', retryable: true });
      expect(deltas).toHaveLength(1);
      expect(recorded.answer!.startsWith(deltas[0]!)).toBe(true);
    } finally {
      gate = null;
    }
  });
});
