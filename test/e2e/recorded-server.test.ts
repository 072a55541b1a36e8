/**
 * The recorded-model server over real HTTP: the official OpenAI client, raw fetch for the fault
 * modes, and /metrics for queueing. No assertion depends on wall-clock time: waits are bounded polls.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { registerRecorded } from '../../src/cli/commands/recorded';
import { CliError, EXIT } from '../../src/cli/errors';
import { parseJsonLine, promptKey } from '../../src/tools/recorded-models/dataset';
import { MIN_LOGPROB } from '../../src/tools/recorded-models/logprobs';
import { startRecordedServer, type RecordedServer } from '../../src/tools/recorded-models/server';
import { buildSelfCheckPrompt } from '../../src/request/router/self-check';
import { shippedData } from '../helpers/data';

interface ModelEntry {
  answer: string;
  raw_confidence: number;
  confidence_kind: string;
  cost_usd: number;
  latency_ms: number;
  tokens: { in: number; out: number };
}
interface Row {
  id: string;
  system: string;
  prompt: string;
  models: Record<string, ModelEntry>;
}

const MMLU = shippedData('synthetic', 'mmlu_llama.jsonl');
const TRIVIA = shippedData('synthetic', 'triviaqa_llama.jsonl');
const TRIVIA_QWEN = shippedData('synthetic', 'triviaqa_qwen.jsonl');
const PRIME = shippedData('llmdrift', 'prime.jsonl');
const JSON_REPLIES = shippedData('synthetic', 'json_replies.jsonl');

function rows(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => parseJsonLine(l) as Row);
}
function entry(row: Row, model: string): ModelEntry {
  const e = row.models[model];
  if (!e) throw new Error(`row ${row.id} has no ${model}`);
  return e;
}
function messagesOf(row: Row, user = row.prompt): OpenAI.ChatCompletionMessageParam[] {
  return [
    { role: 'system', content: row.system },
    { role: 'user', content: user },
  ];
}

let dir: string;
let tmpFile: string;
let server: RecordedServer;
let client: OpenAI;
const mmluRow = rows(MMLU)[0] as Row;
const triviaRow = rows(TRIVIA)[0] as Row;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'recorded-e2e-'));
  // A row with no tokens, latency or cost: everything the server serves about usage is derived.
  tmpFile = path.join(dir, 'bare.jsonl');
  writeFileSync(
    tmpFile,
    [
      JSON.stringify({ id: 'bare-1', prompt: 'Say hi', models: { 'tmp-model': { answer: 'hi there' } } }),
      JSON.stringify({
        id: 'slow-1',
        prompt: 'Be slow',
        models: { 'slow-model': { answer: 'ok', latency_ms: 600000 } },
      }),
    ].join('\n'),
  );
  server = await startRecordedServer({
    dataFiles: [MMLU, TRIVIA, TRIVIA_QWEN, PRIME, JSON_REPLIES, tmpFile],
    latencyScale: 0,
    timeoutHangMs: 30_000,
    aliases: { small: 'llama3.2-1b' },
  });
  client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'test', maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(
  body: unknown,
  headers: Record<string, string> = {},
  url = server.url,
): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
const bareBody = { model: 'tmp-model', messages: [{ role: 'user', content: 'Say hi' }] };

/** Prometheus text -> value of one series (labels in any order), or undefined. */
function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}
async function scrape(url = server.url): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}
/** Polls /metrics until `check` holds; a bounded loop, never a timing assertion. */
async function untilMetrics(check: (text: string) => boolean, url = server.url): Promise<string> {
  let text = '';
  for (let i = 0; i < 200; i++) {
    text = await scrape(url);
    if (check(text)) return text;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`metrics never satisfied the condition; last scrape:\n${text}`);
}

describe('recorded-model server with the official OpenAI client', () => {
  it('serves the recorded answer, usage and answer-token logprob of an MMLU row', async () => {
    const recorded = entry(mmluRow, 'llama3.1-8b');
    const { data, response } = await client.chat.completions
      .create({ model: 'llama3.1-8b', messages: messagesOf(mmluRow), logprobs: true, top_logprobs: 1 })
      .withResponse();
    const choice = data.choices[0];
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('llama3.1-8b');
    expect(choice?.message.content).toBe(recorded.answer);
    expect(choice?.finish_reason).toBe('stop');
    expect(data.usage).toEqual({
      prompt_tokens: recorded.tokens.in,
      completion_tokens: recorded.tokens.out,
      total_tokens: recorded.tokens.in + recorded.tokens.out,
    });
    const token = choice?.logprobs?.content?.[0];
    expect(token?.token).toBe(recorded.answer);
    expect(token?.logprob).toBe(recorded.raw_confidence);
    expect(token?.top_logprobs[0]?.logprob).toBe(recorded.raw_confidence);
    expect(response.headers.get('x-recorded-cost-usd')).toBe(String(recorded.cost_usd));
    expect(response.headers.get('x-recorded-row-id')).toBe(mmluRow.id);
    expect(response.headers.get('x-recorded-derived')).toBeNull();
  });

  it('sends no logprobs unless asked, and accepts response_format', async () => {
    const data = await client.chat.completions.create({
      model: 'small',
      messages: messagesOf(mmluRow),
      response_format: { type: 'json_object' },
    });
    expect(data.model).toBe('llama3.2-1b');
    expect(data.choices[0]?.message.content).toBe(entry(mmluRow, 'llama3.2-1b').answer);
    expect(data.choices[0]?.logprobs).toBeNull();
  });

  it('serves a JSON reply as recorded, a malformed one too, whatever response_format asks', async () => {
    const rowsWith = (pred: (answer: string) => boolean) =>
      rows(JSON_REPLIES).find((r) => pred(entry(r, 'llama3.1-8b').answer))!;
    for (const row of [rowsWith((a) => a.startsWith('{')), rowsWith((a) => a.startsWith('```'))]) {
      const recorded = entry(row, 'llama3.1-8b');
      const data = await client.chat.completions.create({
        model: 'llama3.1-8b',
        messages: messagesOf(row),
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'extract',
            schema: (row as unknown as { responseSchema: Record<string, unknown> }).responseSchema,
          },
        },
      });
      expect(data.choices[0]?.message.content).toBe(recorded.answer);
    }
  });

  it('never invents a confidence: a self-check-kind row answers with logprobs null', async () => {
    const data = await client.chat.completions.create({
      model: 'llama3.1-70b',
      messages: messagesOf(triviaRow),
      logprobs: true,
    });
    expect(data.choices[0]?.message.content).toBe(entry(triviaRow, 'llama3.1-70b').answer);
    expect(data.choices[0]?.logprobs).toBeNull();
  });

  it('answers a self-check with Yes/No and the recorded P(yes)', async () => {
    for (const model of ['llama3.1-70b', 'llama3.2-1b']) {
      const recorded = entry(triviaRow, model);
      const { data, response } = await client.chat.completions
        .create({
          model,
          messages: messagesOf(triviaRow, buildSelfCheckPrompt(triviaRow.prompt, recorded.answer)),
          logprobs: true,
          top_logprobs: 2,
        })
        .withResponse();
      const pYes = Math.exp(recorded.raw_confidence);
      expect(data.choices[0]?.message.content).toBe(pYes >= 0.5 ? 'Yes' : 'No');
      const top = data.choices[0]?.logprobs?.content?.[0]?.top_logprobs ?? [];
      const yes = top.find((t) => t.token === 'Yes');
      const no = top.find((t) => t.token === 'No');
      expect(yes?.logprob).toBe(recorded.raw_confidence);
      expect(Math.exp(yes?.logprob ?? NaN)).toBe(pYes);
      expect(no?.logprob).toBeCloseTo(Math.log1p(-pYes), 12);
      expect(data.usage?.completion_tokens).toBe(1);
      expect(data.usage?.prompt_tokens).toBeGreaterThan(recorded.tokens.in);
      const derived = response.headers.get('x-recorded-derived')?.split(',') ?? [];
      expect(derived).toEqual(expect.arrayContaining(['usage.prompt_tokens', 'latency', 'logprobs.no']));
      expect(response.headers.get('x-recorded-cost-usd')).toBeNull();
    }
  });

  it('honours an explicit top_logprobs count', async () => {
    const recorded = entry(triviaRow, 'llama3.1-70b');
    const data = await client.chat.completions.create({
      model: 'llama3.1-70b',
      messages: messagesOf(triviaRow, buildSelfCheckPrompt(triviaRow.prompt, recorded.answer)),
      logprobs: true,
      top_logprobs: 1,
    });
    expect(data.choices[0]?.logprobs?.content?.[0]?.top_logprobs.map((t) => t.token)).toEqual(['Yes']);
  });

  it('serves a recorded P(yes) of -Infinity as a clamped, flagged logprob', async () => {
    const row = rows(TRIVIA_QWEN).find((r) =>
      Object.values(r.models).some((e) => e.raw_confidence === -Infinity),
    ) as Row;
    const [model, recorded] =
      Object.entries(row.models).find(([, e]) => e.raw_confidence === -Infinity) ?? [];
    const { data, response } = await client.chat.completions
      .create({
        model: model ?? '',
        messages: messagesOf(row, buildSelfCheckPrompt(row.prompt, recorded?.answer ?? '')),
        logprobs: true,
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('No');
    const yes = data.choices[0]?.logprobs?.content?.[0]?.top_logprobs.find((t) => t.token === 'Yes');
    expect(yes?.logprob).toBe(MIN_LOGPROB);
    expect(response.headers.get('x-recorded-derived')).toContain('logprobs.clamped');
  });

  it('refuses a self-check it has no recording for, saying why', async () => {
    const wrong = await post({
      model: 'llama3.1-70b',
      messages: messagesOf(triviaRow, buildSelfCheckPrompt(triviaRow.prompt, 'Oliver Twist, surely')),
    });
    expect(wrong.status).toBe(404);
    const wrongBody = (await wrong.json()) as { error: { code: string; message: string } };
    expect(wrongBody.error.code).toBe('recorded_not_found');
    expect(wrongBody.error.message).toMatch(/proposed answer/);

    const kind = await post({
      model: 'llama3.1-8b',
      messages: messagesOf(
        mmluRow,
        buildSelfCheckPrompt(mmluRow.prompt, entry(mmluRow, 'llama3.1-8b').answer),
      ),
    });
    expect(kind.status).toBe(404);
    expect(((await kind.json()) as { error: { message: string } }).error.message).toMatch(/answer_logprob/);
  });

  it('answers an unknown prompt or model with 404 recorded_not_found naming model and key', async () => {
    const messages = messagesOf(mmluRow, 'A prompt nobody recorded');
    const err = await client.chat.completions
      .create({ model: 'llama3.1-8b', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    const apiErr = err as InstanceType<typeof OpenAI.NotFoundError>;
    expect(apiErr.status).toBe(404);
    expect(apiErr.code).toBe('recorded_not_found');
    expect(apiErr.message).toContain('llama3.1-8b');
    expect(apiErr.message).toContain(promptKey(mmluRow.system, 'A prompt nobody recorded'));

    const model = await client.chat.completions
      .create({ model: 'gpt-17', messages: messagesOf(mmluRow) })
      .catch((e: unknown) => e);
    expect(model).toBeInstanceOf(OpenAI.NotFoundError);
    expect((model as Error).message).toContain('gpt-17');
    expect((model as Error).message).toContain(promptKey(mmluRow.system, mmluRow.prompt));
  });

  it('serves the llmdrift shape (model names with a slash, recorded latency and cost)', async () => {
    const row = parseJsonLine(readFileSync(PRIME, 'utf8').split('\n')[0] ?? '') as {
      id: string;
      model: string;
      prompt: string;
      answer: string;
      cost_usd: number;
    };
    const { data, response } = await client.chat.completions
      .create({ model: row.model, messages: [{ role: 'user', content: row.prompt }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(row.answer);
    expect(response.headers.get('x-recorded-cost-usd')).toBe(String(row.cost_usd));
    // No token counts in llmdrift: usage is derived and flagged, latency is not.
    expect(response.headers.get('x-recorded-derived')).toBe('usage.prompt_tokens,usage.completion_tokens');
  });

  it('retries a scripted 429 with the official client and then gets the answer', async () => {
    await fetch(`${server.url}/admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tmp-model', sequence: ['429', 'ok'] }),
    });
    const retrying = new OpenAI({
      baseURL: server.baseUrl,
      apiKey: 'test',
      maxRetries: 1,
      defaultHeaders: { 'x-recorded-retry-after': '0' },
    });
    const data = await retrying.chat.completions.create({
      model: 'tmp-model',
      messages: [{ role: 'user', content: 'Say hi' }],
    });
    expect(data.choices[0]?.message.content).toBe('hi there');
  });
});

describe('recorded-model server: request validation', () => {
  it('answers a bad body with 400 naming the field', async () => {
    const cases: [unknown, string | null][] = [
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
      [{ model: 'tmp-model' }, 'messages'],
      [{ model: 42, messages: [{ role: 'user', content: 'x' }] }, 'model'],
      [{ model: 'tmp-model', messages: [] }, 'messages'],
      [{ model: 'tmp-model', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
      [{ model: 'tmp-model', messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
      [{ ...bareBody, logprobs: 'yes' }, 'logprobs'],
      [{ ...bareBody, stream: 'yes' }, 'stream'],
      [{ model: 'tmp-model', messages: [{ role: 'system', content: 'only a system message' }] }, 'messages'],
      [[1, 2], null],
    ];
    for (const [body, param] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as { error: { message: string; type: string; param: string | null } };
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.param).toBe(param);
      if (param) expect(json.error.message).toContain(param);
    }
  });

  it('answers unparseable JSON with an OpenAI-style 400', async () => {
    const res = await post('{"model": ');
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { message: string } };
    expect(typeof json.error.message).toBe('string');
  });

  it('rejects an unknown x-recorded-fault kind', async () => {
    const res = await post(bareBody, { 'x-recorded-fault': 'explode' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('x-recorded-fault');
  });
});

describe('recorded-model server: fault modes by header', () => {
  it('429 with Retry-After (default and per request)', async () => {
    const res = await post(bareBody, { 'x-recorded-fault': '429' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    const custom = await post(bareBody, { 'x-recorded-fault': '429', 'x-recorded-retry-after': '7' });
    expect(custom.headers.get('retry-after')).toBe('7');
    await custom.body?.cancel();
  });

  it('500', async () => {
    const res = await post(bareBody, { 'x-recorded-fault': '500' });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('server_error');
  });

  it('reset: the connection is dropped without a response', async () => {
    const err = await post(bareBody, { 'x-recorded-fault': 'reset' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    const code = ((err as Error).cause as { code?: string } | undefined)?.code;
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(code);
  });

  it('malformed: 200, JSON content type, a truncated body', async () => {
    const res = await post(bareBody, { 'x-recorded-fault': 'malformed' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('empty: a valid completion with no choices', async () => {
    const res = await post(bareBody, { 'x-recorded-fault': 'empty' });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { object: string; choices: unknown[] };
    expect(json.object).toBe('chat.completion');
    expect(json.choices).toEqual([]);
  });

  it('timeout: no answer until the client gives up', async () => {
    const err = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-recorded-fault': 'timeout' },
      body: JSON.stringify(bareBody),
      signal: AbortSignal.timeout(300),
    }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    // The server notices the client leaving, drops the connection and counts a timeout.
    await untilMetrics(
      (t) => (metric(t, 'recorded_requests_total', { model: 'tmp-model', status: 'timeout' }) ?? 0) >= 1,
    );
    const text = await scrape();
    expect(
      metric(text, 'recorded_requests_total', { model: 'tmp-model', status: 'reset' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metric(text, 'recorded_requests_total', { model: 'tmp-model', status: '429' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('recorded-model server: admin fault script', () => {
  const adminPost = (body: unknown): Promise<Response> =>
    fetch(`${server.url}/admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('consumes (429, 429, ok) in order for that model only', async () => {
    const set = await adminPost({ model: 'llama3.1-8b', sequence: ['429', '429', 'ok'] });
    expect(set.status).toBe(200);
    const ask = (model: string): Promise<Response> => post({ model, messages: messagesOf(mmluRow) });
    const statuses: number[] = [];
    for (const model of ['llama3.1-8b', 'llama3.2-1b', 'llama3.1-8b', 'llama3.1-8b', 'llama3.1-8b']) {
      const res = await ask(model);
      await res.body?.cancel();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([429, 200, 429, 200, 200]);
    const left = (await (await fetch(`${server.url}/admin/faults`)).json()) as { scripts: unknown[] };
    expect(left.scripts).toEqual([]);
  });

  it('applies an any-model script, and DELETE clears it', async () => {
    expect((await adminPost({ sequence: ['500', '500'] })).status).toBe(200);
    const first = await post(bareBody);
    expect(first.status).toBe(500);
    await first.body?.cancel();
    const del = await fetch(`${server.url}/admin/faults`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const after = await post(bareBody);
    expect(after.status).toBe(200);
    await after.body?.cancel();
  });

  it('validates admin bodies with clear messages', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /sequence/],
      [{ sequence: [] }, /sequence/],
      [{ sequence: ['503'] }, /sequence\[0\]/],
      [{ model: 'nope', sequence: ['ok'] }, /nope/],
      [{ sequence: ['ok'], extra: 1 }, /extra|unrecognized/i],
    ];
    for (const [body, message] of cases) {
      const res = await adminPost(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
  });
});

describe('recorded-model server: info routes and derived fields', () => {
  it('lists servable models (and aliases) in OpenAI list format', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toEqual(
      expect.arrayContaining(['llama3.1-8b', 'small', 'qwen2.5-72b-instruct', 'openaichat/gpt-4-0613']),
    );
    expect(list.data[0]?.object).toBe('model');
    const one = await client.models.retrieve('openaichat/gpt-4-0613');
    expect(one.id).toBe('openaichat/gpt-4-0613');
  });

  it('flags derived tokens and latency in x-recorded-derived', async () => {
    const res = await post(bareBody);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-recorded-derived')?.split(',').sort()).toEqual(
      ['latency', 'usage.completion_tokens', 'usage.prompt_tokens'].sort(),
    );
    expect(res.headers.get('x-recorded-cost-usd')).toBeNull();
    const json = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    expect(json.usage.prompt_tokens).toBe(Math.ceil('Say hi'.length / 4));
    expect(json.usage.completion_tokens).toBe(Math.ceil('hi there'.length / 4));
  });

  it('reports health', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    const json = (await res.json()) as { status: string; models: number; prompts: number };
    expect(json.status).toBe('ok');
    expect(json.models).toBe(server.dataset.models().length);
  });
});

describe('recorded-model server: concurrency and queueing', () => {
  it('queues beyond the per-model limit; a client that leaves the queue is removed', async () => {
    const slow = await startRecordedServer({ dataFiles: [tmpFile], concurrency: 1, latencyScale: 1 });
    try {
      const labels = { model: 'slow-model' };
      const controllers: AbortController[] = [];
      const send = (): Promise<unknown> => {
        const ac = new AbortController();
        controllers.push(ac);
        return fetch(`${slow.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'slow-model', messages: [{ role: 'user', content: 'Be slow' }] }),
          signal: ac.signal,
        }).catch((e: unknown) => e);
      };
      const pending = [send()];
      await untilMetrics((t) => metric(t, 'recorded_in_flight', labels) === 1, slow.url);
      pending.push(send(), send());
      let text = await untilMetrics((t) => metric(t, 'recorded_queue_depth', labels) === 2, slow.url);
      expect(metric(text, 'recorded_in_flight', labels)).toBe(1);
      // An idle model is listed at 0.
      expect(metric(text, 'recorded_queue_depth', { model: 'tmp-model' })).toBe(0);

      controllers[2]?.abort();
      text = await untilMetrics((t) => metric(t, 'recorded_queue_depth', labels) === 1, slow.url);
      expect(metric(text, 'recorded_in_flight', labels)).toBe(1);

      for (const ac of controllers) ac.abort();
      text = await untilMetrics(
        (t) =>
          metric(t, 'recorded_queue_depth', labels) === 0 && metric(t, 'recorded_in_flight', labels) === 0,
        slow.url,
      );
      await Promise.all(pending);
      text = await untilMetrics(
        (t) => metric(t, 'recorded_requests_total', { model: 'slow-model', status: 'aborted' }) === 3,
        slow.url,
      );
      expect(metric(text, 'recorded_requests_total', { model: 'slow-model', status: '200' })).toBeUndefined();
    } finally {
      await slow.close();
    }
  });
});

describe('recorded-model server: seeded fault rate', () => {
  it('fails the same requests for the same seed', async () => {
    const run = async (): Promise<number[]> => {
      const s = await startRecordedServer({
        dataFiles: [tmpFile],
        latencyScale: 0,
        faultRate: 0.5,
        faultKinds: ['429', '500'],
        seed: 123,
      });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 16; i++) {
          const res = await post(bareBody, {}, s.url);
          await res.body?.cancel();
          statuses.push(res.status);
        }
        return statuses;
      } finally {
        await s.close();
      }
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a).toContain(200);
    expect(a.some((s) => s === 429 || s === 500)).toBe(true);
  });
});

describe('cascade recorded (CLI)', () => {
  const program = (): Command => {
    const p = new Command('cascade').exitOverride();
    registerRecorded(p);
    return p;
  };

  it('rejects an unreadable data file with a usage error naming it', async () => {
    const missing = path.join(dir, 'missing.jsonl');
    const err = await program()
      .parseAsync(['node', 'cascade', 'recorded', '--data', MMLU, missing, '--port', '0'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.usage);
    expect((err as CliError).message).toContain(missing);
  });

  it('rejects a bad data line with the file and line', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"id": 1, "prompt": "p", "model": "m", "answer": "a"}\nnot json\n');
    const err = await program()
      .parseAsync(['node', 'cascade', 'recorded', '--data', bad, '--port', '0'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toContain(`${bad}:2`);
  });
});
