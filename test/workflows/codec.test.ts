/**
 * Encrypted histories, end to end on the real dev server: a cascade runs with the AES-GCM codec on
 * the workers and the client; the history the server stores (read raw, and through the real
 * `temporal workflow show`) shows no prompt or answer text; `cascade codec-server` (the built CLI)
 * makes it readable to the `temporal` CLI and answers the UI's CORS preflight, and only with the
 * token; search attributes and summaries never carry prompt or answer text.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CascadeClient } from '../../src/doors/client/cascade-client';
import { historyToJson } from '../../src/doors/client/replay';
import { AesGcmPayloadCodec, isEncryptedPayload, parseCodecKeys } from '../../src/request/codec';
import { readEnv } from '../../src/env';
import type { Trace } from '../../src/request/router/trace';
import { resolveTemporalCli } from '../../src/temporal/cli-resolver';
import { shippedData } from '../helpers/data';
import { pickRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const TRIVIA = shippedData('synthetic/triviaqa_llama.jsonl');
const LARGE = 'llama3.1-405b';
const root = path.resolve(__dirname, '../..');

/** In an earlier user turn: the recorded server keys on system + last user message only. */
const MARKER = `ZEBRAFISH-MARKER-${randomBytes(4).toString('hex')}`;
const KEY_ID = 'test-k1';
const KEY = randomBytes(32).toString('base64');
const TOKEN = randomBytes(16).toString('hex');

let stack: Stack;
let codec: AesGcmPayloadCodec;
let answer: string;
let question: string;
let trace: Trace;
const requestId = `codec-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  codec = new AesGcmPayloadCodec(parseCodecKeys(`${KEY_ID}:${KEY}`));
  const [row] = pickRows(
    TRIVIA,
    1,
    (r) => (r.models[LARGE]?.answer?.length ?? 0) >= 8 && r.prompt.includes('Question: '),
  );
  answer = row!.models[LARGE]!.answer!;
  question = row!.prompt.split('Question: ')[1]!.split('\n')[0]!;
  stack = await startStack({
    dataFiles: [TRIVIA],
    models: { [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 } },
    tasks: { trivia: { route: 'static', rungs: [{ model: LARGE }] } },
    payloadCodec: codec,
  });
  trace = await stack.cascade.run({
    id: requestId,
    task: 'trivia',
    messages: [
      { role: 'system', content: row!.system! },
      { role: 'user', content: `Context for the record: ${MARKER}. Acknowledge.` },
      { role: 'assistant', content: 'Acknowledged.' },
      { role: 'user', content: row!.prompt },
    ],
  });
});
afterAll(async () => stack?.close());

/** Every Payload in a raw history, with the path it sits at. */
function payloadsIn(value: unknown, at = ''): { path: string; payload: Payload }[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return [];
  const o = value as Record<string, unknown>;
  if (ArrayBuffer.isView(o.data) && o.metadata && typeof o.metadata === 'object') {
    return [{ path: at, payload: o as Payload }];
  }
  return Object.entries(o).flatMap(([k, v]) => payloadsIn(v, at ? `${at}.${k}` : k));
}

async function temporalCli(): Promise<string> {
  const env = readEnv();
  const cli = await resolveTemporalCli({
    explicitPath: env.temporalCliPath,
    cacheDir: env.cacheDir,
    allowSdkDownload: false,
  });
  if (cli.kind !== 'path') throw new Error('no Temporal CLI binary');
  return cli.path;
}

async function workflowShow(extra: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(
    await temporalCli(),
    [
      'workflow',
      'show',
      '--workflow-id',
      requestId,
      '--output',
      'json',
      '--address',
      inject('temporalAddress'),
      '--namespace',
      inject('temporalNamespace'),
      ...extra,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/**
 * What `temporal workflow show --output json` reveals: its text, plus every payload's data and
 * metadata base64-decoded (proto JSON prints bytes as base64, so a plain payload's text is only
 * visible decoded).
 */
function revealed(shown: string): string {
  const parts = [shown];
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.data === 'string' && o.metadata && typeof o.metadata === 'object') {
      parts.push(Buffer.from(o.data, 'base64').toString('utf8'));
      for (const m of Object.values(o.metadata))
        if (typeof m === 'string') parts.push(Buffer.from(m, 'base64').toString('utf8'));
    }
    Object.values(o).forEach(walk);
  };
  walk(JSON.parse(shown));
  return parts.join('\n');
}

describe('encrypted histories', () => {
  it('serves the request in plaintext to codec-enabled clients: the result, the trace query, CascadeClient.connect', async () => {
    expect(trace.status).toBe('answered');
    expect(trace.final.answer).toBe(answer);
    const queried = await stack.client.workflow.getHandle(requestId).query<Trace>('trace');
    expect(queried.final.answer).toBe(answer);
    const connected = await CascadeClient.connect({
      config: stack.config,
      address: inject('temporalAddress'),
      namespace: inject('temporalNamespace'),
      taskQueue: stack.taskQueue,
      payloadCodec: codec,
    });
    try {
      expect((await connected.trace(requestId)).final.answer).toBe(answer);
    } finally {
      await connected.close();
    }
    // A client without the codec cannot read the result.
    const plain = new Client({ connection: stack.client.connection, namespace: inject('temporalNamespace') });
    await expect(plain.workflow.getHandle(requestId).result()).rejects.toThrow(/binary\/encrypted/);
  });

  it('stores every payload encrypted except search attributes, which carry no prompt or answer', async () => {
    const history = await stack.client.workflow.getHandle(requestId).fetchHistory();
    const all = payloadsIn(history);
    const searchAttributes = all.filter((p) => /searchAttributes/.test(p.path));
    // A local activity's marker (lean execution) carries core's own bookkeeping beside the
    // encrypted result: the activity's type, id, attempt and times, written by the SDK core,
    // never by the codec (docs/encryption.md). It names no prompt or answer.
    const markerData = all.filter((p) => /markerRecordedEventAttributes\.details\.data\./.test(p.path));
    expect(markerData.length).toBeGreaterThan(0);
    for (const { payload } of markerData) {
      const text = Buffer.from(payload.data ?? []).toString('utf8');
      expect(JSON.parse(text)).toMatchObject({ activity_type: expect.any(String) });
      for (const secret of [MARKER, answer, question]) expect(text).not.toContain(secret);
    }
    const rest = all.filter((p) => !/searchAttributes/.test(p.path) && !markerData.includes(p));
    expect(searchAttributes.length).toBeGreaterThan(0);
    // Workflow input, activity inputs and results, the result, and (SDK 1.24) the summaries.
    expect(rest.length).toBeGreaterThan(4);
    for (const { path: at, payload } of rest)
      expect({ at, encrypted: isEncryptedPayload(payload) }).toEqual({ at, encrypted: true });
    for (const { payload } of searchAttributes) expect(isEncryptedPayload(payload)).toBe(false);

    const stored = revealed(JSON.stringify(historyToJson(history)));
    for (const secret of [MARKER, answer, question]) expect(stored).not.toContain(secret);
    // Decrypted, the marker is there (so the check above looked at the right payloads).
    const decoded = await codec.decode(rest.map((p) => p.payload));
    expect(
      decoded.some((p) =>
        Buffer.from(p.data ?? [])
          .toString('utf8')
          .includes(MARKER),
      ),
    ).toBe(true);
  });

  it('summaries and search attributes name the task, route and models, never prompt or answer text', async () => {
    const history = await stack.client.workflow.getHandle(requestId).fetchHistory();
    const all = payloadsIn(history);
    const visible = all.filter((p) => /searchAttributes|userMetadata/.test(p.path));
    // SDK 1.24 runs summaries and details (userMetadata) through the codec too; search attributes
    // never go through it. Without a codec both are plain text, so neither may carry prompts.
    for (const p of visible) expect(isEncryptedPayload(p.payload)).toBe(/userMetadata/.test(p.path));
    const texts = (await codec.decode(visible.map((p) => p.payload))).map((p) =>
      String(defaultPayloadConverter.fromPayload(p)),
    );
    const summaries = texts.filter((_, i) => /userMetadata/.test(visible[i]!.path));
    expect(summaries).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^trivia via static/),
        expect.stringMatching(new RegExp(`^answer rung 1/1 ${stack.modelId(LARGE)} attempt 1`)),
      ]),
    );
    for (const t of texts) {
      for (const secret of [MARKER, answer, question]) expect(t).not.toContain(secret);
    }
  });

  describe('`temporal workflow show` and `cascade codec-server`', () => {
    let server: ChildProcessWithoutNullStreams;
    let url: string;
    let stderr = '';

    beforeAll(async () => {
      server = spawn(process.execPath, [path.join(root, 'bin/cascade.js'), 'codec-server', '--port', '0'], {
        cwd: root,
        env: {
          ...process.env,
          CASCADE_CODEC_KEYS: `${KEY_ID}:${KEY}`,
          CASCADE_CODEC_SERVER_TOKEN: TOKEN,
          CASCADE_TEMPORAL_UI_PORT: '8233',
        },
      });
      server.stderr.on('data', (d) => (stderr += d));
      url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += d;
          const m = /codec server on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.on('exit', (code) => reject(new Error(`codec-server exited ${code}: ${stderr}`)));
      });
    });
    afterAll(() => {
      server?.kill('SIGTERM');
    });

    it('without the codec endpoint, the CLI shows no prompt or answer text', async () => {
      const shown = await workflowShow();
      expect(shown).toContain('EVENT_TYPE_MARKER_RECORDED'); // the lean model call
      const text = revealed(shown);
      expect(text).toContain('binary/encrypted');
      for (const secret of [MARKER, answer, question]) expect(text).not.toContain(secret);
    });

    it('with --codec-endpoint and the token, the CLI shows the decrypted history', async () => {
      const shown = await workflowShow(['--codec-endpoint', url, '--codec-auth', `Bearer ${TOKEN}`]);
      const text = revealed(shown);
      expect(text).toContain(MARKER);
      expect(text).toContain(answer);
      expect(text).toContain(question);
      expect(text).not.toContain('binary/encrypted');
    });

    it('refuses /decode without the token or with a wrong one', async () => {
      const body = JSON.stringify({ payloads: [] });
      const headers = { 'content-type': 'application/json' };
      const missing = await fetch(`${url}/decode`, { method: 'POST', headers, body });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const wrong = await fetch(`${url}/decode`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${TOKEN}x` },
        body,
      });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${url}/decode`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${TOKEN}` },
        body,
      });
      expect(right.status).toBe(200);
      expect(await right.json()).toEqual({ payloads: [] });
    });

    it("answers the Temporal UI's CORS preflight, and only for the UI's origin", async () => {
      const preflight = await fetch(`${url}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:8233',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
      expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
      const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const h of ['content-type', 'x-namespace', 'authorization']) expect(allowed).toContain(h);
      const other = await fetch(`${url}/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
