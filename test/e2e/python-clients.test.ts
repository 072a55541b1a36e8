/**
 * The official Python clients, unmodified, against the gateway, as their users would point them
 * at it: the `openai` SDK, LangChain's `ChatOpenAI` (langchain-openai), LiteLLM (`openai/<model>`
 * with `api_base`) on POST /v1/chat/completions, and the `anthropic` SDK on POST /v1/messages.
 * Real stack: Temporal dev server, workers, the recorded-model server over HTTP, the gateway.
 *
 * One script per client (test/python/*_client.py) reads the gateway's URL and a token from the
 * environment and the requests to make on stdin, and prints what its client handed back as JSON.
 * Each request carries a marker (`user`, or `metadata.user_id` on the Messages API), so what
 * reached each model is read back from the recorded-model server's log (GET /admin/requests):
 * `stop` and `seed` are checked there, not only in the answer. Each client has a token id of its
 * own, so the workflows it started are counted by id prefix.
 *
 * The clients live in the venv .cascade/pyenv, installed from test/python/requirements.txt by
 * `bash .ci/python.sh`. Missing (or installed from another requirements.txt): skipped locally,
 * failed under CI=true.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import type { LoggedRequest } from '../../src/tools/recorded-models/request-log';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPTS = path.join(ROOT, 'test/python');
const PYENV = path.join(ROOT, '.cascade/pyenv');
const PYTHON = path.join(PYENV, 'bin/python');
const REQUIREMENTS = path.join(SCRIPTS, 'requirements.txt');
/** .ci/python.sh copies requirements.txt here once the venv is installed from it. */
const INSTALLED = path.join(PYENV, '.requirements.txt');
const UNDER_CI = process.env.CI === 'true';
const INSTALL_HINT =
  'run `bash .ci/python.sh` (a venv at .cascade/pyenv with the pinned clients of test/python/requirements.txt)';
/** One script run: importing LiteLLM alone takes seconds on a busy two-core machine. */
const SCRIPT_TIMEOUT_MS = 240_000;

function pyenvProblem(): string | null {
  if (!fs.existsSync(PYTHON)) return 'no Python venv at .cascade/pyenv';
  const installed = fs.existsSync(INSTALLED) ? fs.readFileSync(INSTALLED, 'utf8') : null;
  if (installed !== fs.readFileSync(REQUIREMENTS, 'utf8'))
    return '.cascade/pyenv was not installed from the current test/python/requirements.txt';
  return null;
}

/** The pinned version of each package of requirements.txt. */
function pins(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(REQUIREMENTS, 'utf8').split('\n')) {
    const m = /^([A-Za-z0-9_.-]+)==(\S+)/.exec(line.trim());
    if (m) out[m[1]!.toLowerCase()] = m[2]!;
  }
  return out;
}

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const GSM8K = shippedData('synthetic/gsm8k_llama.jsonl');
const TOOLS = shippedData('synthetic/tools/tool_calls.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const THRESHOLD = 0.7;
const SEED = 1234;
const STOP = '####';

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}
interface ToolRow {
  id: string;
  system: string;
  prompt: string;
  tools: { type: 'function'; function: { name: string; parameters?: unknown } }[];
  models: Record<string, { answer: string | { tool_calls: ToolCall[] } }>;
}
const toolRow = (id: string): ToolRow =>
  fs
    .readFileSync(TOOLS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ToolRow)
    .find((r) => r.id === id)!;
const callsOf = (row: ToolRow, model: string): ToolCall[] => {
  const a = row.models[model]!.answer;
  if (typeof a === 'string') throw new Error(`${row.id}: ${model} answered in text`);
  return a.tool_calls;
};
const messagesOf = (row: { system?: string; prompt: string }) => [
  ...(row.system ? [{ role: 'system', content: row.system }] : []),
  { role: 'user', content: row.prompt },
];

// The rows, picked by what the recorded models did on them (as test/workflows/gateway-params-tools).
/** The small model is unsure: the cascade escalates and serves the large model's answer. */
const [unsureRow] = pickRows(
  MMLU,
  1,
  (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) < THRESHOLD - 0.1,
);
/** An answer of many words with `####` in it: streamed in several deltas, cut by `stop`. */
const [gsmRow] = pickRows(GSM8K, 1, (r) => {
  const a = r.models[LARGE]?.answer ?? '';
  return a.includes(STOP) && a.split(' ').length > 10;
});
/** The small model leaves out create_event's required "time": escalates; the large model's calls are served. */
const toolsRow = toolRow('syn-tool-calls-4');
const unsureAnswer = unsureRow!.models[LARGE]!.answer!;
const gsmAnswer = gsmRow!.models[LARGE]!.answer!;
/** `usage` sums every call a request made: both rungs when it escalated. */
const tokensOf = (row: DataRow, models: string[]) => ({
  in: models.reduce((n, m) => n + row.models[m]!.tokens!.in, 0),
  out: models.reduce((n, m) => n + row.models[m]!.tokens!.out, 0),
});
const unsureTokens = tokensOf(unsureRow!, [SMALL, LARGE]);
const gsmTokens = tokensOf(gsmRow!, [LARGE]);
const largeCalls = callsOf(toolsRow, LARGE);

/** What each script is asked to do. */
function chatCases(marker: string) {
  return {
    marker,
    plain: { model: 'cascade/mmlu', messages: messagesOf(unsureRow!) },
    stream: { model: 'cascade/gsm8k', messages: messagesOf(gsmRow!) },
    tools: { model: 'cascade/tools', messages: messagesOf(toolsRow), tools: toolsRow.tools },
    stream_tools: { model: 'cascade/tools', messages: messagesOf(toolsRow), tools: toolsRow.tools },
    stop: { model: 'cascade/gsm8k', messages: messagesOf(gsmRow!), stop: [STOP] },
    seed: { model: 'cascade/gsm8k', messages: messagesOf(gsmRow!), seed: SEED },
  };
}

interface ScriptOutput {
  client: string;
  package: string;
  version: string;
  python: string;
  results: Record<string, Record<string, unknown> & { error?: string }>;
}

/** Runs one client script with the venv's python; its JSON, or an error with its stderr. */
function runScript(script: string, env: Record<string, string>, input: unknown): Promise<ScriptOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(SCRIPTS, script)], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
        // Loopback only: no proxy, no LangSmith tracing, LiteLLM's bundled price map.
        NO_PROXY: '127.0.0.1,localhost',
        LANGSMITH_TRACING: 'false',
        LANGCHAIN_TRACING_V2: 'false',
        LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), SCRIPT_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.split('\n').slice(-40).join('\n');
      if (process.env.PYTHON_CLIENTS_DEBUG)
        process.stderr.write(`--- ${script} (exit ${code})\n${stderr}--- its stdout\n${stdout}\n`);
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code ?? signal}:\n${tail}`));
        return;
      }
      try {
        // The document is the last line: a client that prints to stdout cannot break it.
        const last = stdout.trim().split('\n').at(-1) ?? '';
        resolve(JSON.parse(last) as ScriptOutput);
      } catch {
        reject(new Error(`${script} printed no JSON:\n${stdout.slice(0, 2000)}\n${tail}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

const problem = pyenvProblem();
const RUN_ID = randomUUID().slice(0, 8);

describe.runIf(problem === null)('the official Python clients against the gateway', () => {
  let stack: Stack;
  let gateway: RunningGateway;
  /** One token per client; its id prefixes the workflow ids of the requests it makes. */
  const callers = {
    openai: { id: `py-openai-${RUN_ID}`, token: `py-openai-token-${randomUUID()}` },
    langchain: { id: `py-langchain-${RUN_ID}`, token: `py-langchain-token-${randomUUID()}` },
    litellm: { id: `py-litellm-${RUN_ID}`, token: `py-litellm-token-${randomUUID()}` },
    anthropic: { id: `py-anthropic-${RUN_ID}`, token: `py-anthropic-token-${randomUUID()}` },
  };

  beforeAll(async () => {
    stack = await startStack({
      dataFiles: [MMLU, GSM8K, TOOLS],
      models: {
        [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
        [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
      },
      tasks: {
        mmlu: {
          route: 'cascade',
          rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
        },
        gsm8k: { route: 'static', rungs: [{ model: LARGE }] },
        // A text reply is a string; a tool-call reply is checked against its tools instead.
        tools: {
          route: 'direct-small',
          rungs: [{ model: SMALL }, { model: LARGE }],
          responseSchema: { type: 'string' },
        },
      },
    });
    gateway = await startGateway({
      cascade: stack.cascade,
      auth: parseApiTokens(
        Object.values(callers)
          .map((c) => `${c.id}:${c.token}`)
          .join(','),
      ),
      port: 0,
      namespace: 'default',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  /** The bodies the recorded-model server got for one model, carrying this `user`. */
  async function sentTo(model: string, user: string): Promise<Record<string, unknown>[]> {
    const res = await fetch(`${stack.recorded.url}/admin/requests?model=${encodeURIComponent(model)}`);
    expect(res.status).toBe(200);
    const { requests } = (await res.json()) as { requests: LoggedRequest[] };
    return requests.map((r) => r.body as Record<string, unknown>).filter((b) => b['user'] === user);
  }

  /** The workflows a caller's requests started (visibility lags: polled until `want` or 20 s). */
  async function workflowsOf(callerId: string, want: number): Promise<number> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { count } = await stack.client.workflow.count(`WorkflowId STARTS_WITH "${callerId}:"`);
      if (count >= want || Date.now() > deadline) return count;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  function run(client: keyof typeof callers, script: string, cases: unknown): Promise<ScriptOutput> {
    return runScript(
      script,
      { CASCADE_GATEWAY_URL: gateway.url, CASCADE_TOKEN: callers[client].token },
      cases,
    );
  }

  /** A case's result, failing with the client's own error when it raised. */
  function resultOf(out: ScriptOutput, name: string): Record<string, unknown> {
    const r = out.results[name];
    expect(r, `${out.client}: no result for ${name}`).toBeDefined();
    expect(r!.error, `${out.client} ${name} raised`).toBeUndefined();
    return r!;
  }

  /**
   * The suite of one OpenAI-protocol client. `calls` turns the recorded tool calls into what the
   * client hands back (LangChain parses the arguments; the others keep OpenAI's shape).
   */
  function chatClientSuite(
    client: 'openai' | 'langchain' | 'litellm',
    script: string,
    opts: { calls: (recorded: ToolCall[]) => unknown },
  ) {
    describe(client, () => {
      const marker = `${client}-${RUN_ID}`;
      const user = (name: string) => `${marker}-${name}`;
      let out: ScriptOutput;
      beforeAll(async () => {
        out = await run(client, script, chatCases(marker));
      }, SCRIPT_TIMEOUT_MS + 10_000);

      it('is the pinned release', () => {
        expect(out.version).toBe(pins()[out.package]);
      });

      it('plain: the checked answer (escalated to the large model), model cascade/mmlu, the cascade headers', async () => {
        const r = resultOf(out, 'plain');
        expect(r['content']).toBe(unsureAnswer);
        expect(r['finish_reason']).toBe('stop');
        expect(r['model']).toBe('cascade/mmlu');
        expect(r['usage']).toEqual({ prompt_tokens: unsureTokens.in, completion_tokens: unsureTokens.out });
        expect(r['headers']).toMatchObject({
          'x-cascade-route': 'cascade',
          'x-cascade-escalated': 'true',
          'x-cascade-final-model': stack.modelId(LARGE),
          'x-cascade-request-id': expect.stringMatching(new RegExp(`^${callers[client].id}:`)),
        });
        // Both rungs were asked, once each.
        expect(await sentTo(SMALL, user('plain'))).toHaveLength(1);
        expect(await sentTo(LARGE, user('plain'))).toHaveLength(1);
      });

      it('stream: the answer in several deltas that add up to it', async () => {
        const r = resultOf(out, 'stream');
        expect(r['content']).toBe(gsmAnswer);
        expect(r['deltas']).toBeGreaterThan(1);
        expect(r['finish_reason']).toBe('stop');
        expect(r['model']).toBe('cascade/gsm8k');
        // The usage chunk (stream_options.include_usage) came through the client.
        expect(r['usage']).toEqual({ prompt_tokens: gsmTokens.in, completion_tokens: gsmTokens.out });
        expect(r['headers']).toMatchObject({
          'x-cascade-route': 'static',
          'x-cascade-final-model': stack.modelId(LARGE),
        });
        if (client === 'litellm') expect(r['assembled']).toBe(gsmAnswer);
      });

      it("tools: the large model's tool calls come back after the small one's failed its tool's schema", async () => {
        const r = resultOf(out, 'tools');
        expect(r['tool_calls']).toEqual(opts.calls(largeCalls));
        expect(r['finish_reason']).toBe('tool_calls');
        expect(r['headers']).toMatchObject({
          'x-cascade-escalated': 'true',
          'x-cascade-final-model': stack.modelId(LARGE),
        });
        // The tools reached both rungs as the client sent them.
        for (const model of [SMALL, LARGE]) {
          const sent = await sentTo(model, user('tools'));
          expect(sent, model).toHaveLength(1);
          expect(sent[0]!['tools']).toEqual(toolsRow.tools);
        }
      });

      it('tools streamed: the argument deltas assemble into the same calls', () => {
        const r = resultOf(out, 'stream_tools');
        expect(r['tool_calls']).toEqual(opts.calls(largeCalls));
        expect(r['arg_deltas']).toBeGreaterThan(1);
        expect(r['finish_reason']).toBe('tool_calls');
      });

      it('stop: reaches the model, and the answer ends before it', async () => {
        const r = resultOf(out, 'stop');
        expect(r['content']).toBe(gsmAnswer.slice(0, gsmAnswer.indexOf(STOP)));
        expect(r['finish_reason']).toBe('stop');
        expect((await sentTo(LARGE, user('stop'))).map((b) => b['stop'])).toEqual([[STOP]]);
      });

      it('seed: reaches the model', async () => {
        const r = resultOf(out, 'seed');
        expect(r['content']).toBe(gsmAnswer);
        expect((await sentTo(LARGE, user('seed'))).map((b) => b['seed'])).toEqual([SEED]);
      });

      it('every call started exactly one workflow, under the caller’s token id', async () => {
        const made = Object.keys(out.results).length;
        expect(made).toBe(6);
        expect(await workflowsOf(callers[client].id, made)).toBe(made);
      });
    });
  }

  const openaiShape = (recorded: ToolCall[]) => recorded;
  chatClientSuite('openai', 'openai_client.py', { calls: openaiShape });
  chatClientSuite('langchain', 'langchain_client.py', {
    calls: (recorded) =>
      recorded.map((c) => ({ id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) })),
  });
  chatClientSuite('litellm', 'litellm_client.py', { calls: openaiShape });

  describe('anthropic', () => {
    const marker = `anthropic-${RUN_ID}`;
    let out: ScriptOutput;
    beforeAll(async () => {
      out = await run('anthropic', 'anthropic_client.py', {
        marker,
        plain: { model: 'cascade/mmlu', messages: messagesOf(unsureRow!) },
        stream: { model: 'cascade/gsm8k', messages: messagesOf(gsmRow!) },
      });
    }, SCRIPT_TIMEOUT_MS + 10_000);

    it('is the pinned release', () => {
      expect(out.version).toBe(pins()[out.package]);
    });

    it('plain: a Message with the checked answer, model cascade/mmlu, the request id headers', async () => {
      const r = resultOf(out, 'plain');
      expect(r).toMatchObject({
        type: 'message',
        role: 'assistant',
        model: 'cascade/mmlu',
        content: [{ type: 'text', text: unsureAnswer }],
        stop_reason: 'end_turn',
        usage: { input_tokens: unsureTokens.in, output_tokens: unsureTokens.out },
      });
      expect(r['id']).toMatch(/^msg_[0-9a-f]{24}$/);
      const headers = r['headers'] as Record<string, string>;
      expect(headers).toMatchObject({
        'x-cascade-escalated': 'true',
        'x-cascade-final-model': stack.modelId(LARGE),
      });
      expect(headers['x-cascade-request-id']).toMatch(new RegExp(`^${callers.anthropic.id}:`));
      expect(headers['request-id']).toBe(headers['x-cascade-request-id']);
      // metadata.user_id reached both rungs as `user`.
      expect(await sentTo(SMALL, `${marker}-plain`)).toHaveLength(1);
      expect(await sentTo(LARGE, `${marker}-plain`)).toHaveLength(1);
    });

    it("stream: Anthropic's events, text deltas that add up to the answer, the same final message", () => {
      const r = resultOf(out, 'stream');
      const deltas = r['deltas'] as string[];
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join('')).toBe(gsmAnswer);
      expect(r).toMatchObject({
        model: 'cascade/gsm8k',
        content: [{ type: 'text', text: gsmAnswer }],
        stop_reason: 'end_turn',
        usage: { input_tokens: gsmTokens.in, output_tokens: gsmTokens.out },
      });
      const headers = r['headers'] as Record<string, string>;
      expect(headers['x-cascade-final-model']).toBe(stack.modelId(LARGE));
      expect(r['request_id']).toMatch(new RegExp(`^${callers.anthropic.id}:`));
      expect(r['request_id']).toBe(headers['x-cascade-request-id']);
      // The SDK's own helper events (`text`) left out.
      const events = (r['events'] as string[]).filter((e) => e !== 'text');
      expect(events[0]).toBe('message_start');
      expect(events[1]).toBe('content_block_start');
      expect(events.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    });

    it('every call started exactly one workflow, under the caller’s token id', async () => {
      expect(await workflowsOf(callers.anthropic.id, 2)).toBe(2);
    });
  });
});

if (problem !== null) {
  describe('the official Python clients against the gateway (no venv)', () => {
    if (UNDER_CI) {
      it('needs the Python clients under CI=true', () => {
        throw new Error(`the Python clients are required under CI=true: ${problem}; ${INSTALL_HINT}`);
      });
    } else {
      console.warn(`[python-clients] skipping: ${problem}; ${INSTALL_HINT}`);
      it.skip(`needs the Python clients: ${INSTALL_HINT}`, () => undefined);
    }
  });
}
