/**
 * Chat-completions parameters and tool calling through the gateway, on a real stack (Temporal dev
 * server, workers, the recorded-model server over HTTP), driven by the official `openai` client:
 * every parameter reaches every rung (the recorded server's request log, GET /admin/requests,
 * shows what the small and the escalated model were sent), `stop` cuts the answer, tool calls
 * come back as OpenAI's `tool_calls` (plain and streamed), and a call that fails its tool's schema
 * (or names a tool that was not offered) escalates with `schema_invalid`. Tool-call replies are
 * the project's synthetic ones (data/synthetic/tools) and one parallel-call fixture.
 */
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replayHistories } from '../../src/doors/client/replay';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import type { LoggedRequest } from '../../src/tools/recorded-models/request-log';
import { servedReply } from '../../src/doors/gateway/translate';
import type { Trace } from '../../src/request/router/trace';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const GSM8K = shippedData('synthetic/gsm8k_llama.jsonl');
const TOOLS = shippedData('synthetic/tools/tool_calls.jsonl');
const PARALLEL = path.resolve(__dirname, '../fixtures/tool-calls-parallel.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const MESSAGES_MODEL = 'llama3.1-70b';
const THRESHOLD = 0.7;
const ALICE = { id: 'alice', token: 'alice-secret-token-1' };

interface ToolRow {
  id: string;
  system: string;
  prompt: string;
  tools: OpenAI.Chat.ChatCompletionFunctionTool[];
  models: Record<
    string,
    { answer: string | { tool_calls: OpenAI.Chat.ChatCompletionMessageFunctionToolCall[] } }
  >;
}
const toolRows = (file: string): ToolRow[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ToolRow);
const toolRow = (id: string, file = TOOLS) => toolRows(file).find((r) => r.id === id)!;
const callsOf = (row: ToolRow, model: string) => {
  const a = row.models[model]!.answer;
  if (typeof a === 'string') throw new Error(`${row.id}: ${model} answered in text`);
  return a.tool_calls;
};

let stack: Stack;
let gateway: RunningGateway;
let alice: OpenAI;

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU, GSM8K, TOOLS, PARALLEL],
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
      // Called over Anthropic's Messages API, which has no seed, penalties or logprobs.
      [MESSAGES_MODEL]: { inputPerMTok: 1, outputPerMTok: 1, provider: 'anthropic' },
    },
    tasks: {
      mmlu: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
      },
      gsm8k: { route: 'static', rungs: [{ model: LARGE }] },
      // direct-small needs a response schema: a text reply is a string; a tool-call reply is
      // checked against its tools instead.
      tools: {
        route: 'direct-small',
        rungs: [{ model: SMALL }, { model: LARGE }],
        responseSchema: { type: 'string' },
      },
      toolsCascade: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
      },
      // The same ladder with model calls as activities on the models' queues (the check then
      // comes back with the call's activity result, not from a folded local activity).
      toolsDurable: {
        route: 'direct-small',
        rungs: [{ model: SMALL }, { model: LARGE }],
        responseSchema: { type: 'string' },
        execution: 'durable',
      },
      toolsLarge: { route: 'direct-small', rungs: [{ model: LARGE }], responseSchema: { type: 'string' } },
      toolsStatic: { route: 'static', rungs: [{ model: SMALL }] },
      // Escalates from an OpenAI-compatible rung to one called over Anthropic's Messages API.
      toolsViaMessages: {
        route: 'direct-small',
        rungs: [{ model: SMALL }, { model: MESSAGES_MODEL }],
        responseSchema: { type: 'string' },
      },
      // A budget every candidate fits: the cheapest serves, with no check (the budget is the signal).
      toolsBudget: {
        route: 'latency-budget',
        rungs: [{ model: SMALL }, { model: LARGE }],
        latencyBudgetMs: 600_000,
      },
      viaMessages: {
        route: 'cascade',
        rungs: [
          { model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD },
          { model: MESSAGES_MODEL },
        ],
      },
    },
  });
  gateway = await startGateway({
    cascade: stack.cascade,
    auth: parseApiTokens(`${ALICE.id}:${ALICE.token}`),
    port: 0,
    uiBaseUrl: 'http://ui.example:8233',
    namespace: 'default',
  });
  alice = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: ALICE.token });
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
});

let seq = 0;
/** A marker per test, sent as `user`, to find that test's bodies in the recorded server's log. */
const marker = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;

/** What the recorded-model server was sent for one endpoint model, over its HTTP debug endpoint. */
async function sentTo(model: string, user: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${stack.recorded.url}/admin/requests?model=${encodeURIComponent(model)}`);
  expect(res.status).toBe(200);
  const { requests } = (await res.json()) as { requests: LoggedRequest[] };
  return requests.map((r) => r.body as Record<string, unknown>).filter((b) => b['user'] === user);
}

const messagesOf = (row: { system?: string; prompt: string }): OpenAI.Chat.ChatCompletionMessageParam[] => [
  ...(row.system ? [{ role: 'system' as const, content: row.system }] : []),
  { role: 'user' as const, content: row.prompt },
];
const unsure = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) < THRESHOLD - 0.1;
const traceOf = async (res: Response) =>
  (await stack.client.workflow.getHandle(res.headers.get('x-cascade-request-id')!).result()) as Trace;

describe('chat-completions parameters reach every rung', () => {
  it('sends stop, seed, top_p, penalties, logprobs, max_completion_tokens, user and metadata to the small and the escalated model', async () => {
    const [row] = pickRows(MMLU, 1, unsure);
    const user = marker('params');
    const { data, response } = await alice.chat.completions
      .create({
        model: 'cascade/mmlu',
        messages: messagesOf(row!),
        stop: ['\n\n', 'END'],
        seed: 42,
        top_p: 0.9,
        frequency_penalty: 0.5,
        presence_penalty: -0.25,
        logprobs: true,
        top_logprobs: 0,
        max_completion_tokens: 64,
        user,
        metadata: { feature: 'params-test' },
        store: true,
      })
      .withResponse();
    expect(response.headers.get('x-cascade-escalated')).toBe('true');
    const expected = {
      stop: ['\n\n', 'END'],
      seed: 42,
      top_p: 0.9,
      frequency_penalty: 0.5,
      presence_penalty: -0.25,
      logprobs: true,
      max_tokens: 64,
      user,
      metadata: { feature: 'params-test' },
      store: true,
    };
    const small = await sentTo(SMALL, user);
    const large = await sentTo(LARGE, user);
    expect(small).toHaveLength(1);
    expect(large).toHaveLength(1);
    expect(small[0]).toMatchObject(expected);
    expect(large[0]).toMatchObject(expected);
    // The cascade asks the small rung for one alternative (its confidence); the caller asked for 0.
    expect(small[0]!['top_logprobs']).toBe(1);
    // The caller's logprobs come back: the served (large) answer's token, cut to top_logprobs 0.
    const lp = data.choices[0]!.logprobs!.content!;
    expect(lp.length).toBeGreaterThan(0);
    expect(lp[0]!.logprob).toBeCloseTo(row!.models[LARGE]!.raw_confidence!, 9);
    expect(lp.every((t) => t.top_logprobs.length === 0)).toBe(true);
  });

  it("streams the caller's logprobs with the content deltas", async () => {
    const [row] = pickRows(MMLU, 3, unsure).slice(2);
    const body = { model: 'cascade/mmlu', messages: messagesOf(row!), logprobs: true, top_logprobs: 1 };
    const plain = await alice.chat.completions.create(body);
    const stream = await alice.chat.completions.create({ ...body, stream: true });
    const streamed: OpenAI.Chat.ChatCompletionTokenLogprob[] = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    expect(streamed.length).toBeGreaterThan(0);
    expect(streamed).toEqual(plain.choices[0]!.logprobs!.content);
  });

  it('a request without parameters sends none of them', async () => {
    const [row] = pickRows(MMLU, 2, unsure).slice(1);
    const before = (await (await fetch(`${stack.recorded.url}/admin/requests?model=${LARGE}`)).json()) as {
      requests: LoggedRequest[];
    };
    const res = await alice.chat.completions.create({ model: 'cascade/mmlu', messages: messagesOf(row!) });
    expect(res.choices[0]!.logprobs).toBeNull();
    const after = (await (await fetch(`${stack.recorded.url}/admin/requests?model=${LARGE}`)).json()) as {
      requests: LoggedRequest[];
    };
    const body = after.requests.at(-1)!.body as Record<string, unknown>;
    expect(after.requests.length).toBe(before.requests.length + 1);
    for (const p of ['stop', 'seed', 'top_p', 'user', 'metadata', 'tools', 'frequency_penalty']) {
      expect(body).not.toHaveProperty(p);
    }
  });

  it('stop: the answer ends before the stop sequence, plain and streamed', async () => {
    const [row] = pickRows(GSM8K, 1, (r) => (r.models[LARGE]?.answer ?? '').includes('####'));
    const full = row!.models[LARGE]!.answer!;
    const cut = full.slice(0, full.indexOf('####'));
    const user = marker('stop');
    const plain = await alice.chat.completions.create({
      model: 'cascade/gsm8k',
      messages: messagesOf(row!),
      stop: '####',
      user,
    });
    expect(plain.choices[0]!.message.content).toBe(cut);
    expect(plain.choices[0]!.finish_reason).toBe('stop');
    const stream = await alice.chat.completions.create({
      model: 'cascade/gsm8k',
      messages: messagesOf(row!),
      stop: ['####'],
      user,
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe(cut);
    const sent = await sentTo(LARGE, user);
    expect(sent.map((b) => b['stop'])).toEqual([['####'], ['####']]);
  });

  it('max_completion_tokens applies: a longer answer ends at the budget with finish_reason length', async () => {
    const [row] = pickRows(GSM8K, 1, (r) => (r.models[LARGE]?.tokens?.out ?? 0) > 20);
    const full = row!.models[LARGE]!.answer!;
    const res = await alice.chat.completions.create({
      model: 'cascade/gsm8k',
      messages: messagesOf(row!),
      max_completion_tokens: 5,
    });
    expect(res.choices[0]!.finish_reason).toBe('length');
    const text = res.choices[0]!.message.content!;
    expect(text.length).toBeLessThan(full.length);
    expect(full.startsWith(text)).toBe(true);
  });

  it('seed reaches the model, through the official client', async () => {
    const [row] = pickRows(GSM8K, 2, (r) => typeof r.models[LARGE]?.answer === 'string').slice(1);
    const user = marker('seed');
    const res = await alice.chat.completions.create({
      model: 'cascade/gsm8k',
      messages: messagesOf(row!),
      seed: 1234,
      user,
    });
    expect(res.choices[0]!.message.content).toBe(row!.models[LARGE]!.answer);
    expect((await sentTo(LARGE, user)).map((b) => b['seed'])).toEqual([1234]);
  });

  it('a parameter a rung cannot honour is refused, naming the param and the rung', async () => {
    const [row] = pickRows(MMLU, 1, unsure);
    const err = (await alice.chat.completions
      .create({ model: 'cascade/viaMessages', messages: messagesOf(row!), seed: 5 })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('seed');
    expect(err.code).toBe('unsupported_parameter');
    expect(err.message).toContain(stack.modelId(MESSAGES_MODEL));
    // What the Messages API has (stop, top_p) is accepted on the same task.
    const ok = await alice.chat.completions.create({
      model: 'cascade/viaMessages',
      messages: messagesOf(row!),
      stop: ['never-there'],
      top_p: 0.5,
    });
    expect(ok.choices[0]!.message.content).toBe(row!.models[MESSAGES_MODEL]!.answer);
  });

  it('n > 1 is refused in OpenAI error shape, saying why', async () => {
    const [row] = pickRows(MMLU, 1, unsure);
    const err = (await alice.chat.completions
      .create({ model: 'cascade/mmlu', messages: messagesOf(row!), n: 2 })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('n');
    expect(err.code).toBe('unsupported_value');
    expect(err.message).toMatch(/one checked answer/);
  });
});

describe('tool calling', () => {
  // Row 4: the small model leaves out create_event's required "time"; the large one calls right.
  const invalidSmall = toolRow('syn-tool-calls-4');
  // Row 2: the small model's convert_currency call is right.
  const validSmall = toolRow('syn-tool-calls-2');

  for (const task of ['tools', 'toolsCascade', 'toolsDurable']) {
    it(`${task}: a call that fails its tool's schema escalates with schema_invalid; the large model's calls are served`, async () => {
      const user = marker(`tools-${task}`);
      const { data, response } = await alice.chat.completions
        .create({
          model: `cascade/${task}`,
          messages: messagesOf(invalidSmall),
          tools: invalidSmall.tools,
          user,
        })
        .withResponse();
      const trace = await traceOf(response);
      expect(trace.escalations).toEqual([
        { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'schema_invalid' },
      ]);
      expect(trace.checks.find((c) => c.rung === 0)?.errors?.join()).toMatch(/time/);
      const message = data.choices[0]!.message;
      expect(data.choices[0]!.finish_reason).toBe('tool_calls');
      expect(message.content).toBeNull();
      expect(message.tool_calls).toEqual(callsOf(invalidSmall, LARGE));
      // The tools reached both rungs.
      for (const model of [SMALL, LARGE]) {
        const [sent] = await sentTo(model, user);
        expect(sent!['tools']).toEqual(invalidSmall.tools);
      }
    });
  }

  it("escalates to a rung on Anthropic's Messages API: the tools go as input_schema, its tool_use comes back as tool_calls", async () => {
    const user = marker('tools-messages');
    const { data, response } = await alice.chat.completions
      .create({
        model: 'cascade/toolsViaMessages',
        messages: messagesOf(invalidSmall),
        tools: invalidSmall.tools,
        parallel_tool_calls: false,
        user,
      })
      .withResponse();
    const trace = await traceOf(response);
    expect(trace.escalations.map((e) => e.reason)).toEqual(['schema_invalid']);
    expect(data.choices[0]!.finish_reason).toBe('tool_calls');
    const [served] = data.choices[0]!.message
      .tool_calls! as OpenAI.Chat.ChatCompletionMessageFunctionToolCall[];
    const [recorded] = callsOf(invalidSmall, MESSAGES_MODEL);
    expect(served!.id).toBe(recorded!.id);
    expect(served!.function.name).toBe(recorded!.function.name);
    expect(JSON.parse(served!.function.arguments)).toEqual(JSON.parse(recorded!.function.arguments));
    // What the Messages rung was sent, in its protocol's terms.
    const res = await fetch(`${stack.recorded.url}/admin/requests?model=${MESSAGES_MODEL}`);
    const sent = ((await res.json()) as { requests: LoggedRequest[] }).requests
      .map((r) => r.body as Record<string, unknown>)
      .filter((b) => (b['metadata'] as { user_id?: string } | undefined)?.user_id === user);
    expect(sent).toHaveLength(1);
    expect(sent[0]!['tools']).toEqual(
      invalidSmall.tools.map((t) => ({
        name: t.function.name,
        description: t.function.description,
        input_schema: t.function.parameters,
      })),
    );
    expect(sent[0]!['tool_choice']).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });

  it('a valid call from the small model stands and is served', async () => {
    const { data, response } = await alice.chat.completions
      .create({ model: 'cascade/tools', messages: messagesOf(validSmall), tools: validSmall.tools })
      .withResponse();
    expect(response.headers.get('x-cascade-escalated')).toBe('false');
    expect(response.headers.get('x-cascade-schema-valid')).toBe('true');
    expect(data.choices[0]!.message.tool_calls).toEqual(callsOf(validSmall, SMALL));
    expect(data.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('a call naming a tool that was not offered escalates with schema_invalid', async () => {
    // Row 0: the small model calls get_weather; offered without it, that call names no tool.
    const row = toolRow('syn-tool-calls-0');
    expect(callsOf(row, SMALL)[0]!.function.name).toBe('get_weather');
    const tools = row.tools.filter((t) => t.function.name !== 'get_weather');
    const { data, response } = await alice.chat.completions
      .create({ model: 'cascade/tools', messages: messagesOf(row), tools })
      .withResponse();
    const trace = await traceOf(response);
    expect(trace.escalations.map((e) => e.reason)).toEqual(['schema_invalid']);
    expect(trace.checks.find((c) => c.rung === 0)?.errors?.join()).toMatch(/names no offered tool/);
    expect(data.choices[0]!.message.tool_calls).toEqual(callsOf(row, LARGE));
  });

  it('the last rung is served as it is, unless a strict tool promised conforming calls (502)', async () => {
    // Row 26: the large model leaves out create_event's required "time".
    const row = toolRow('syn-tool-calls-26');
    const served = await alice.chat.completions
      .create({ model: 'cascade/toolsLarge', messages: messagesOf(row), tools: row.tools })
      .withResponse();
    expect(served.response.headers.get('x-cascade-schema-valid')).toBe('false');
    expect(served.data.choices[0]!.message.tool_calls).toEqual(callsOf(row, LARGE));

    const strictTools = row.tools.map((t) => ({ ...t, function: { ...t.function, strict: true } }));
    const err = (await alice.chat.completions
      .create({ model: 'cascade/toolsLarge', messages: messagesOf(row), tools: strictTools })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(502);
    expect(err.code).toBe('schema_invalid');
    expect(err.param).toBe('tools');
  });

  it('static: the tools reach the model and its calls come back unchecked', async () => {
    const user = marker('tools-static');
    const res = await alice.chat.completions.create({
      model: 'cascade/toolsStatic',
      messages: messagesOf(invalidSmall),
      tools: invalidSmall.tools,
      tool_choice: 'auto',
      user,
    });
    expect(res.choices[0]!.message.tool_calls).toEqual(callsOf(invalidSmall, SMALL));
    const [sent] = await sentTo(SMALL, user);
    expect(sent).toMatchObject({ tools: invalidSmall.tools, tool_choice: 'auto' });
  });

  it('latency-budget: the tools reach the chosen model and its calls are served', async () => {
    const user = marker('tools-budget');
    const { data, response } = await alice.chat.completions
      .create({
        model: 'cascade/toolsBudget',
        messages: messagesOf(validSmall),
        tools: validSmall.tools,
        user,
      })
      .withResponse();
    expect(response.headers.get('x-cascade-route')).toBe('latency-budget');
    expect(data.choices[0]!.finish_reason).toBe('tool_calls');
    expect(data.choices[0]!.message.tool_calls).toEqual(callsOf(validSmall, SMALL));
    expect((await sentTo(SMALL, user))[0]!['tools']).toEqual(validSmall.tools);
  });

  it('streams tool-call deltas that the official client assembles into the same calls', async () => {
    const runner = alice.chat.completions.stream({
      model: 'cascade/tools',
      messages: messagesOf(invalidSmall),
      tools: invalidSmall.tools,
    });
    const deltas: OpenAI.Chat.ChatCompletionChunk[] = [];
    runner.on('chunk', (c) => deltas.push(c));
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(
      final.choices[0]!.message.tool_calls?.map((c) => ({ id: c.id, type: c.type, function: c.function })),
    ).toEqual(callsOf(invalidSmall, LARGE));
    // Arguments arrive in several deltas, each keyed by the call's index.
    const argDeltas = deltas.filter((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments);
    expect(argDeltas.length).toBeGreaterThan(1);
  });

  it('parallel tool calls are served; with parallel_tool_calls: false they fail the check', async () => {
    const row = toolRow('fixture-parallel-0', PARALLEL);
    const user = marker('parallel');
    const both = await alice.chat.completions
      .create({ model: 'cascade/tools', messages: messagesOf(row), tools: row.tools })
      .withResponse();
    expect(both.data.choices[0]!.message.tool_calls).toEqual(callsOf(row, SMALL));
    expect(both.response.headers.get('x-cascade-escalated')).toBe('false');

    const one = await alice.chat.completions
      .create({
        model: 'cascade/tools',
        messages: messagesOf(row),
        tools: row.tools,
        parallel_tool_calls: false,
        user,
      })
      .withResponse();
    const trace = await traceOf(one.response);
    // Both rungs made two calls: the small one escalates, the last one is served as it is, its
    // failed check on the record and in the header.
    expect(trace.escalations.map((e) => e.reason)).toEqual(['schema_invalid']);
    expect(one.response.headers.get('x-cascade-schema-valid')).toBe('false');
    expect(one.data.choices[0]!.message.tool_calls).toEqual(callsOf(row, LARGE));
    expect((await sentTo(SMALL, user))[0]!['parallel_tool_calls']).toBe(false);
  });

  it('carries on a conversation after a tool call: assistant tool_calls and the tool result reach the model', async () => {
    const user = marker('tool-turn');
    const [call] = callsOf(validSmall, SMALL);
    const res = await alice.chat.completions.create({
      model: 'cascade/tools',
      messages: [
        ...messagesOf(validSmall),
        { role: 'assistant', content: null, tool_calls: [call!] },
        { role: 'tool', tool_call_id: call!.id, content: '{"result": 512.3}' },
      ],
      tools: validSmall.tools,
      user,
    });
    expect(res.choices).toHaveLength(1);
    const [sent] = await sentTo(SMALL, user);
    const msgs = sent!['messages'] as Record<string, unknown>[];
    expect(msgs.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [call] });
    expect(msgs.at(-1)).toMatchObject({ role: 'tool', tool_call_id: call!.id, content: '{"result": 512.3}' });
  });

  it('refuses bad tools (and logit_bias) with a 400 naming the param', async () => {
    const cases: [Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming>, string][] = [
      [
        { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'nonsense' } } }] },
        'tools[0].function.parameters',
      ],
      [
        { tools: validSmall.tools, tool_choice: { type: 'function', function: { name: 'launch_rocket' } } },
        'tool_choice.function.name',
      ],
      [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
    ];
    for (const [extra, param] of cases) {
      const err = (await alice.chat.completions
        .create({ model: 'cascade/tools', messages: messagesOf(validSmall), ...extra })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(err, param).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.param).toBe(param);
    }
  });
});

describe('replay', () => {
  it('histories of requests with parameters and tools (lean and durable, escalated) replay on this build', async () => {
    const row = toolRow('syn-tool-calls-4');
    const ids: string[] = [];
    for (const task of ['tools', 'toolsDurable', 'toolsViaMessages']) {
      const { response } = await alice.chat.completions
        .create({
          model: `cascade/${task}`,
          messages: messagesOf(row),
          tools: row.tools,
          top_p: 0.9,
          stop: ['END'],
        })
        .withResponse();
      ids.push(response.headers.get('x-cascade-request-id')!);
    }
    const histories = await Promise.all(
      ids.map(async (id) => ({
        name: id,
        history: await stack.client.workflow.getHandle(id).fetchHistory(),
      })),
    );
    const results = await replayHistories(histories, { workflowBundlePath: inject('workflowBundlePath') });
    expect(results).toEqual(ids.map((name) => ({ name, ok: true })));
  });
});

describe('the library client', () => {
  it('accepts the same parameters and tools; the served calls are in the trace', async () => {
    const user = marker('library');
    const trace = await stack.cascade.run({
      id: `lib-${user}`,
      task: 'tools',
      messages: messagesOf(invalidSmallRow()).map((m) => ({ role: m.role, content: String(m.content) })),
      tools: invalidSmallRow().tools,
      seed: 7,
      stop: ['END'],
      user,
    });
    expect(trace.escalations.map((e) => e.reason)).toEqual(['schema_invalid']);
    expect(servedReply(trace).toolCalls).toEqual(callsOf(invalidSmallRow(), LARGE));
    for (const model of [SMALL, LARGE]) {
      expect((await sentTo(model, user))[0]).toMatchObject({ seed: 7, stop: ['END'], user });
    }
  });
});

function invalidSmallRow(): ToolRow {
  return toolRow('syn-tool-calls-4');
}
