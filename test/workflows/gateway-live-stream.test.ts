/**
 * Live streaming through the gateway (issue #17), on a real stack: the Temporal dev server,
 * workers in this process, the gateway on their NativeConnection (eager start, as `cascade
 * gateway` with its worker and `cascade dev`), the recorded-model server over real HTTP, a real
 * SQLite ledger, and the official `openai` client.
 *
 * Liveness is proved structurally, never by time: the recorded-model server holds the rest of a
 * streamed answer at a gate after its first piece (src/tools/recorded-models/stream.ts) until the test has
 * received that piece through the gateway. A gateway that buffered would deliver nothing until the
 * workflow ended, which the gate holds back: the test would see its first piece only after the
 * gate gave up, and `held` would be false. The gate is asked once per streamed model call, so
 * counting its calls says which calls streamed. Workflows are counted under this file's own
 * token id.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stampVersions } from '../../src/request/config-file/artefact-file';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGatewayOnWorkers } from '../../src/doors/gateway/on-worker';
import type { RunningGateway } from '../../src/doors/gateway/server';
import type { Ledger, RequestRow } from '../../src/request/ledger/types';
import { liveChannels } from '../../src/temporal/activities/live-channel';
import type { StreamGateInfo } from '../../src/tools/recorded-models/stream';
import type { CalibrationArtefact } from '../../src/request/router/calibration/artefact';
import type { Trace } from '../../src/request/router/trace';
import { shippedData } from '../helpers/data';
import { freshLedger, ledgerBackends, type LedgerBackend } from '../helpers/ledgers';
import { readRows, type DataRow } from '../helpers/rows';
import { scriptFaults, startStack, type Stack } from '../helpers/stack';

const GSM = shippedData('synthetic/gsm8k_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const THRESHOLD = 0.7;
const CALIBRATION_FILE = path.resolve(__dirname, '../fixtures/calibration/replay-gsm8k.json');
const TOKEN_ID = `live${randomUUID().slice(0, 8)}`;
const TOKEN = `live-stream-token-${randomUUID()}`;

type Verdict = 'continue' | 'cut';

let stack: Stack;
let gateway: RunningGateway;
let ledger: Ledger;
let backend: LedgerBackend;
let openai: OpenAI;
let dir: string;
/** Every streamed model call, in order (the gate is asked once per streamed call). */
const streamedCalls: StreamGateInfo[] = [];
let gate: ((info: StreamGateInfo) => Promise<Verdict>) | null = null;

beforeAll(async () => {
  backend = ledgerBackends().find((b) => b.name === 'sqlite')!;
  ({ ledger } = await freshLedger(backend));
  // A calibration whose pre-route skips the small model: straight to the strongest (the replay
  // tests' artefact, for this ladder, its first rung always skipped).
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-live-'));
  const artefact = JSON.parse(fs.readFileSync(CALIBRATION_FILE, 'utf8')) as CalibrationArtefact;
  artefact.ladder = [SMALL, LARGE];
  artefact.rungs[0]!.model = SMALL;
  artefact.rungs[1]!.model = LARGE;
  artefact.rungs[0]!.skip = { kind: 'always' };
  const skipFile = path.join(dir, 'skip.json');
  fs.writeFileSync(skipFile, JSON.stringify(stampVersions(artefact), null, 2));
  stack = await startStack({
    dataFiles: [GSM],
    ledger,
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      static: { route: 'static', rungs: [{ model: LARGE }] },
      ladder: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'self_check', threshold: THRESHOLD }, { model: LARGE }],
      },
      direct: {
        route: 'direct-small',
        rungs: [{ model: SMALL }, { model: LARGE }],
        responseSchema: { type: 'object' },
      },
      preroute: { route: 'cascade', rungs: [{ model: SMALL }, { model: LARGE }], calibration: skipFile },
    },
    recorded: {
      streamGate: (info) => {
        streamedCalls.push(info);
        return gate ? gate(info) : 'continue';
      },
    },
  });
  gateway = await startGatewayOnWorkers({
    workers: stack.workers,
    config: stack.config,
    namespace: stack.config.config.temporal.namespace,
    taskQueue: stack.taskQueue,
    auth: parseApiTokens(`${TOKEN_ID}:${TOKEN}`),
    port: 0,
  });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
  await ledger?.close();
  await backend?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const p = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!);
const confident = (r: DataRow) => p(r) >= THRESHOLD + 0.05;
const unsure = (r: DataRow) => p(r) < THRESHOLD - 0.1;
const messagesOf = (row: DataRow): OpenAI.Chat.ChatCompletionMessageParam[] => [
  { role: 'system', content: row.system! },
  { role: 'user', content: row.prompt },
];
let seq = 0;
const key = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;
const used = new Set<string>();
/** A row no earlier test used (the recorded server's request log is read per prompt). */
function freshRow(pred: (r: DataRow) => boolean = () => true): DataRow {
  const row = readRows(GSM).find((r) => !used.has(r.prompt) && pred(r));
  if (!row) throw new Error(`${GSM}: no unused row left for this test`);
  used.add(row.prompt);
  return row;
}

/**
 * Holds the next streamed call after its first piece until `release`; `holding()` says whether it
 * still does. If the test never releases it (a gateway that buffers), the gate gives up after
 * 20 s so the request can end, and the test's `holding()` check fails.
 */
function holdNextStream(): { holding: () => boolean; release: (v: Verdict) => void } {
  let release!: (v: Verdict) => void;
  let open = true;
  const wait = new Promise<Verdict>((resolve) => {
    release = (v) => {
      open = false;
      resolve(v);
    };
  });
  const giveUp = setTimeout(() => release('continue'), 20_000);
  gate = () => {
    gate = null;
    return wait.finally(() => clearTimeout(giveUp));
  };
  return { holding: () => open, release };
}

/** The recorded server's answer calls (no self-checks) for a prompt, in order: whether each streamed. */
function answerCalls(model: string, row: DataRow): boolean[] {
  return stack.recorded.requestLog
    .list(model)
    .map((e) => e.body as { messages: { role: string; content: string }[]; stream?: boolean })
    .filter((b) => b.messages.at(-1)!.content === row.prompt)
    .map((b) => b.stream === true);
}

const traceOf = (id: string) => stack.client.workflow.getHandle(id).result() as Promise<Trace>;

/** Reads SSE events from a fetch response until `until` says stop (or the body ends). */
async function readEvents(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  buffer: { text: string },
  until: (events: string[]) => boolean,
): Promise<string[]> {
  const decoder = new TextDecoder();
  const events = () => buffer.text.split('\n\n').filter((e) => e !== '');
  while (!until(events())) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer.text += decoder.decode(value, { stream: true });
  }
  return events();
}

const contentOf = (event: string): string =>
  event.startsWith('data: {')
    ? ((JSON.parse(event.slice(6)) as OpenAI.Chat.ChatCompletionChunk).choices?.[0]?.delta?.content ?? '')
    : '';

describe('live: the answering rung cannot be overruled', () => {
  it('static route: headers and the first piece arrive while the model still holds the rest (raw SSE)', async () => {
    const row = freshRow();
    const k = key('static-raw');
    const hold = holdNextStream();
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        'idempotency-key': k,
      },
      body: JSON.stringify({
        model: 'cascade/static',
        messages: messagesOf(row),
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    // The status and headers came before the answer was complete.
    expect(hold.holding()).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-cascade-stream')).toBe('live');
    expect(res.headers.get('x-cascade-request-id')).toBe(`${TOKEN_ID}:${k}`);
    expect(res.headers.get('x-cascade-route')).toBe('static');
    expect(res.headers.get('x-cascade-final-model')).toBe(stack.modelId(LARGE));
    expect(res.headers.get('x-cascade-escalated')).toBe('false');
    // The cost is known only once the workflow has ended: not a header of a live stream.
    expect(res.headers.get('x-cascade-cost-usd')).toBeNull();

    const reader = res.body!.getReader();
    const buffer = { text: '' };
    const first = await readEvents(reader, buffer, (ev) => ev.some((e) => contentOf(e) !== ''));
    expect(hold.holding()).toBe(true);
    expect(first.some((e) => e.includes('[DONE]'))).toBe(false);
    hold.release('continue');
    const events = await readEvents(reader, buffer, () => false);

    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as OpenAI.Chat.ChatCompletionChunk);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant', content: '' });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(row.models[LARGE]!.answer);
    expect(chunks.filter((c) => c.choices.length > 0).length).toBeGreaterThan(5);
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0]!.finish_reason)).toEqual(['stop']);

    // The workflow is the source of truth: it served that text, and its usage closes the stream.
    const id = `${TOKEN_ID}:${k}`;
    const trace = await traceOf(id);
    expect(trace.final.answer).toBe(text);
    const attempts = trace.calls.flatMap((c) => c.attempts);
    const tin = attempts.reduce((s, a) => s + a.tokensIn, 0);
    const tout = attempts.reduce((s, a) => s + a.tokensOut, 0);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toEqual({
      prompt_tokens: tin,
      completion_tokens: tout,
      total_tokens: tin + tout,
    });
    expect(answerCalls(LARGE, row)).toEqual([true]);
    expect(await ledger.listRequests({ ids: [id] })).toHaveLength(1);
    expect(liveChannels.size).toBe(0);
  });

  it('the official openai client reads the live stream as it comes; usage and cost in the ledger equal a plain request', async () => {
    const row = freshRow();
    const plainKey = key('plain');
    const liveKey = key('live');
    const plain = await openai.chat.completions.create(
      { model: 'cascade/static', messages: messagesOf(row) },
      { headers: { 'Idempotency-Key': plainKey } },
    );
    const hold = holdNextStream();
    const { data: stream, response } = await openai.chat.completions
      .create(
        {
          model: 'cascade/static',
          messages: messagesOf(row),
          stream: true,
          stream_options: { include_usage: true },
        },
        { headers: { 'Idempotency-Key': liveKey } },
      )
      .withResponse();
    expect(response.headers.get('x-cascade-stream')).toBe('live');
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    let heldAtFirstPiece: boolean | null = null;
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (heldAtFirstPiece === null && chunk.choices[0]?.delta.content) {
        heldAtFirstPiece = hold.holding();
        hold.release('continue');
      }
    }
    expect(heldAtFirstPiece).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      plain.choices[0]!.message.content,
    );
    expect(chunks.at(-1)!.usage).toEqual(plain.usage);
    expect(chunks[0]!.model).toBe('cascade/static');
    expect(chunks[0]!.system_fingerprint).toBe(plain.system_fingerprint);

    // One plain call, one streamed: the same tokens and cost, on the record the same way.
    expect(answerCalls(LARGE, row)).toEqual([false, true]);
    const [a, b] = (await Promise.all(
      [plainKey, liveKey].map(async (k) => (await ledger.listRequests({ ids: [`${TOKEN_ID}:${k}`] }))[0]!),
    )) as [RequestRow, RequestRow];
    expect(b.costUsd).toBe(a.costUsd);
    expect(b.baselineCostUsd).toBe(a.baselineCostUsd);
    expect(b.attempts).toBe(a.attempts);
    const usage = async (r: RequestRow) =>
      (await ledger.attempts(r.id)).map((x) => [x.ok, x.tokensIn, x.tokensOut, x.costUsd]);
    expect(await usage(b)).toEqual(await usage(a));
    expect(liveChannels.size).toBe(0);
  });

  it('the last rung of a cascade: the small model is checked unstreamed, the strongest streams live', async () => {
    const row = freshRow(unsure);
    const k = key('last-rung');
    const hold = holdNextStream();
    const stream = await openai.chat.completions
      .create(
        { model: 'cascade/ladder', messages: messagesOf(row), stream: true },
        { headers: { 'Idempotency-Key': k } },
      )
      .withResponse();
    expect(stream.response.headers.get('x-cascade-stream')).toBe('live');
    expect(stream.response.headers.get('x-cascade-final-model')).toBe(stack.modelId(LARGE));
    expect(stream.response.headers.get('x-cascade-escalated')).toBe('true');
    let text = '';
    let heldAtFirstPiece: boolean | null = null;
    for await (const chunk of stream.data) {
      const piece = chunk.choices[0]?.delta.content ?? '';
      if (piece !== '' && heldAtFirstPiece === null) {
        heldAtFirstPiece = hold.holding();
        hold.release('continue');
      }
      text += piece;
    }
    expect(heldAtFirstPiece).toBe(true);
    expect(text).toBe(row.models[LARGE]!.answer);
    const trace = await traceOf(`${TOKEN_ID}:${k}`);
    expect(trace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'low_confidence' },
    ]);
    expect(trace.final.answer).toBe(text);
    expect(answerCalls(SMALL, row)).toEqual([false]);
    expect(answerCalls(LARGE, row)).toEqual([true]);
  });

  it('a pre-route straight to the strongest model streams live (no escalation)', async () => {
    const row = freshRow();
    const k = key('preroute');
    const hold = holdNextStream();
    const stream = await openai.chat.completions
      .create(
        { model: 'cascade/preroute', messages: messagesOf(row), stream: true },
        { headers: { 'Idempotency-Key': k } },
      )
      .withResponse();
    expect(stream.response.headers.get('x-cascade-stream')).toBe('live');
    expect(stream.response.headers.get('x-cascade-final-model')).toBe(stack.modelId(LARGE));
    // Whether a rung was skipped or escalated past is known only from the trace.
    expect(stream.response.headers.get('x-cascade-escalated')).toBeNull();
    let text = '';
    let heldAtFirstPiece: boolean | null = null;
    for await (const chunk of stream.data) {
      const piece = chunk.choices[0]?.delta.content ?? '';
      if (piece !== '' && heldAtFirstPiece === null) {
        heldAtFirstPiece = hold.holding();
        hold.release('continue');
      }
      text += piece;
    }
    expect(heldAtFirstPiece).toBe(true);
    const trace = await traceOf(`${TOKEN_ID}:${k}`);
    expect(trace.decision?.skippedRungs).toEqual([0]);
    expect(trace.escalations).toEqual([]);
    expect(trace.final.answer).toBe(text);
    expect(answerCalls(SMALL, row)).toEqual([]);
  });
});

describe('checked: the answer could still be overruled', () => {
  it('a cascade rung whose check may escalate streams only the checked answer, after the workflow', async () => {
    const row = freshRow(confident);
    const before = streamedCalls.length;
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'cascade/ladder', messages: messagesOf(row), stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(row.models[SMALL]!.answer);
    expect(response.headers.get('x-cascade-stream')).toBe('checked');
    // The whole set of headers: the stream began after the trace existed.
    expect(response.headers.get('x-cascade-escalated')).toBe('false');
    expect(Number(response.headers.get('x-cascade-cost-usd'))).toBeGreaterThan(0);
    expect(streamedCalls.length).toBe(before);
    expect(answerCalls(SMALL, row)).toEqual([false]);
  });

  it('a schema (direct-small): the small answer is checked, nothing streams before the workflow ends', async () => {
    const row = freshRow();
    const before = streamedCalls.length;
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'cascade/direct', messages: messagesOf(row), stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(response.headers.get('x-cascade-stream')).toBe('checked');
    expect(response.headers.get('x-cascade-schema-valid')).toBe('false');
    // Neither answer is a JSON object: the small one escalated, the strongest's is served.
    expect(text).toBe(row.models[LARGE]!.answer);
    expect(streamedCalls.length).toBe(before);
    expect(answerCalls(SMALL, row)).toEqual([false]);
    expect(answerCalls(LARGE, row)).toEqual([false]);
  });
});

describe('failures and retries: the caller never sees text twice', () => {
  it('a call cut off mid-stream ends the stream with an error event; the retry runs unstreamed and is recorded', async () => {
    const row = freshRow();
    const k = key('cut');
    const id = `${TOKEN_ID}:${k}`;
    const before = streamedCalls.length;
    const hold = holdNextStream();
    const stream = await openai.chat.completions.create(
      { model: 'cascade/static', messages: messagesOf(row), stream: true },
      { headers: { 'Idempotency-Key': k } },
    );
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.delta.content ?? '';
        text += piece;
        // The first piece reached the caller: the provider now drops the connection.
        if (piece !== '') hold.release('cut');
      }
    })().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('stream_interrupted');
    expect((err as Error).message).toContain(id);
    // What broke, by class: the provider's own message (its endpoint) is not the caller's.
    expect((err as Error).message).toContain('(connection)');
    expect((err as Error).message).not.toContain(stack.recorded.url);
    // Only the piece that came before the cut, once.
    const answer = row.models[LARGE]!.answer!;
    expect(text.length).toBeGreaterThan(0);
    expect(answer.startsWith(text)).toBe(true);
    expect(text.length).toBeLessThan(answer.length);

    // The workflow retried (unstreamed: the gate was asked once) and recorded both attempts.
    const trace = await traceOf(id);
    expect(trace.status).toBe('answered');
    expect(trace.final.answer).toBe(answer);
    const attempts = trace.calls.flatMap((c) => c.attempts);
    expect(attempts.map((a) => [a.ok, a.errorClass])).toEqual([
      [false, 'connection'],
      [true, null],
    ]);
    expect(streamedCalls.length).toBe(before + 1);
    expect(answerCalls(LARGE, row)).toEqual([true, false]);
    const rows = await ledger.listRequests({ ids: [id] });
    expect(rows).toHaveLength(1);
    expect(await ledger.attempts(id)).toHaveLength(2);
    // A repeat with the same key gets the recorded answer: the same workflow, nothing run again.
    const again = await openai.chat.completions
      .create({ model: 'cascade/static', messages: messagesOf(row) }, { headers: { 'Idempotency-Key': k } })
      .withResponse();
    expect(again.data.choices[0]!.message.content).toBe(answer);
    expect((await stack.client.workflow.count(`WorkflowId = "${id}"`)).count).toBe(1);
    expect(answerCalls(LARGE, row)).toEqual([true, false]);
    expect(liveChannels.size).toBe(0);
  });

  it('an attempt that fails before any text leaves the stream to the retry, which streams live once', async () => {
    const row = freshRow();
    const k = key('retry-live');
    await scriptFaults(stack.recorded, LARGE, ['500']);
    const hold = holdNextStream();
    const stream = await openai.chat.completions.create(
      { model: 'cascade/static', messages: messagesOf(row), stream: true },
      { headers: { 'Idempotency-Key': k } },
    );
    let text = '';
    let heldAtFirstPiece: boolean | null = null;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content ?? '';
      if (piece !== '' && heldAtFirstPiece === null) {
        heldAtFirstPiece = hold.holding();
        hold.release('continue');
      }
      text += piece;
    }
    expect(heldAtFirstPiece).toBe(true);
    expect(text).toBe(row.models[LARGE]!.answer);
    const trace = await traceOf(`${TOKEN_ID}:${k}`);
    expect(trace.calls.flatMap((c) => c.attempts).map((a) => [a.ok, a.errorClass])).toEqual([
      [false, 'server_error'],
      [true, null],
    ]);
    // The failed attempt asked for a stream too (the 500 came before any of it).
    expect(answerCalls(LARGE, row)).toEqual([true, true]);
  });
});
