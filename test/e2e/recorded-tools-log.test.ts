/**
 * The recorded-model server's tool-call replies, `stop`, and its request log (GET|DELETE
 * /admin/requests), over real HTTP with the official OpenAI client.
 */
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoggedRequest } from '../../src/tools/recorded-models/request-log';
import { startRecordedServer, type RecordedServer } from '../../src/tools/recorded-models/server';
import { shippedData } from '../helpers/data';

const TOOLS = shippedData('synthetic', 'tools', 'tool_calls.jsonl');
const TRIVIA = shippedData('synthetic', 'triviaqa_llama.jsonl');
const GSM8K = shippedData('synthetic', 'gsm8k_llama.jsonl');

interface Row {
  id: string;
  system: string;
  prompt: string;
  tools?: OpenAI.Chat.ChatCompletionFunctionTool[];
  models: Record<string, { answer: unknown }>;
}
const rows = (file: string): Row[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
const messagesOf = (row: Row): OpenAI.Chat.ChatCompletionMessageParam[] => [
  { role: 'system', content: row.system },
  { role: 'user', content: row.prompt },
];

let server: RecordedServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startRecordedServer({
    dataFiles: [TOOLS, TRIVIA, GSM8K],
    latencyScale: 0,
    requestLogSize: 3,
  });
  client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
});

async function logged(query = ''): Promise<LoggedRequest[]> {
  const res = await fetch(`${server.url}/admin/requests${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { requests: LoggedRequest[] }).requests;
}

describe('tool-call replies', () => {
  const row = rows(TOOLS).find((r) => r.id === 'syn-tool-calls-2')!;

  it('serves a recorded tool call as OpenAI does: tool_calls, content null, finish_reason tool_calls', async () => {
    const res = await client.chat.completions.create({
      model: 'llama3.1-8b',
      messages: messagesOf(row),
      tools: row.tools!,
    });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual(
      (row.models['llama3.1-8b']!.answer as { tool_calls: unknown[] }).tool_calls,
    );
  });

  it('refuses to serve a recorded tool call to a request that offers no tools', async () => {
    const err = (await client.chat.completions
      .create({ model: 'llama3.1-8b', messages: messagesOf(row) })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('tools');
  });
});

describe('stop', () => {
  it('cuts the recorded text before the first stop sequence and flags the content as derived', async () => {
    const row = rows(TRIVIA).find((r) => String(r.models['llama3.1-405b']?.answer ?? '').includes(' '))!;
    const answer = row.models['llama3.1-405b']!.answer as string;
    const word = answer.split(' ')[1]!;
    const { data, response } = await client.chat.completions
      .create({ model: 'llama3.1-405b', messages: messagesOf(row), stop: [word, 'never-there'] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe(answer.slice(0, answer.indexOf(word)));
    expect(response.headers.get('x-recorded-derived')).toMatch(/content/);
  });
});

describe('max_tokens', () => {
  it('cuts a longer recorded text at the budget, with finish_reason length; a shorter one is whole', async () => {
    const row = rows(GSM8K).find((r) => String(r.models['llama3.1-405b']?.answer ?? '').length > 40)!;
    const answer = row.models['llama3.1-405b']!.answer as string;
    const { data, response } = await client.chat.completions
      .create({ model: 'llama3.1-405b', messages: messagesOf(row), max_completion_tokens: 2 })
      .withResponse();
    expect(data.choices[0]!.finish_reason).toBe('length');
    expect(data.usage!.completion_tokens).toBe(2);
    const text = data.choices[0]!.message.content!;
    expect(text.length).toBeLessThan(answer.length);
    expect(answer.startsWith(text)).toBe(true);
    expect(response.headers.get('x-recorded-derived')).toMatch(/usage\.completion_tokens/);
    const whole = await client.chat.completions.create({
      model: 'llama3.1-405b',
      messages: messagesOf(row),
      max_tokens: 100_000,
    });
    expect(whole.choices[0]!.finish_reason).toBe('stop');
    expect(whole.choices[0]!.message.content).toBe(answer);
  });

  it('on the Messages route: stop_sequences and max_tokens say so in stop_reason', async () => {
    const row = rows(GSM8K).find((r) => String(r.models['llama3.1-405b']?.answer ?? '').length > 40)!;
    const answer = row.models['llama3.1-405b']!.answer as string;
    const word = answer.split(' ')[1]!;
    const post = async (extra: Record<string, unknown>) =>
      (await (
        await fetch(`${server.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'llama3.1-405b',
            max_tokens: 4096,
            system: row.system,
            messages: [{ role: 'user', content: row.prompt }],
            ...extra,
          }),
        })
      ).json()) as { stop_reason: string; stop_sequence: string | null; content: { text: string }[] };
    const cut = await post({ stop_sequences: [word] });
    expect(cut).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: word });
    expect(cut.content[0]!.text).toBe(answer.slice(0, answer.indexOf(word)));
    expect((await post({ max_tokens: 1 })).stop_reason).toBe('max_tokens');
    expect((await post({})).stop_reason).toBe('end_turn');
  });
});

describe('the request log', () => {
  it('keeps the last N bodies per model, newest last, with every parameter as sent', async () => {
    await fetch(`${server.url}/admin/requests`, { method: 'DELETE' });
    const row = rows(TRIVIA)[0]!;
    for (const seed of [1, 2, 3, 4]) {
      await client.chat.completions.create({
        model: 'llama3.1-8b',
        messages: messagesOf(row),
        seed,
        top_p: 0.5,
        user: 'u1',
      });
    }
    await client.chat.completions.create({ model: 'llama3.1-405b', messages: messagesOf(row), seed: 9 });
    const small = await logged('?model=llama3.1-8b');
    expect(small.map((r) => (r.body as { seed: number }).seed)).toEqual([2, 3, 4]);
    expect(small[0]).toMatchObject({
      route: '/v1/chat/completions',
      model: 'llama3.1-8b',
      body: { top_p: 0.5, user: 'u1' },
    });
    expect(
      (await logged('?model=llama3.1-8b&limit=1')).map((r) => (r.body as { seed: number }).seed),
    ).toEqual([4]);
    expect(await logged()).toHaveLength(4);
    expect((await fetch(`${server.url}/admin/requests?limit=-1`)).status).toBe(400);
    expect((await fetch(`${server.url}/admin/requests`, { method: 'DELETE' })).status).toBe(200);
    expect(await logged()).toEqual([]);
  });

  it('keeps nothing with requestLogSize 0', async () => {
    const quiet = await startRecordedServer({ dataFiles: [TRIVIA], latencyScale: 0, requestLogSize: 0 });
    try {
      const row = rows(TRIVIA)[0]!;
      await new OpenAI({ baseURL: quiet.baseUrl, apiKey: 'unused' }).chat.completions.create({
        model: 'llama3.1-8b',
        messages: messagesOf(row),
      });
      expect(quiet.requestLog.list()).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});
