/**
 * The recorded-model server: an OpenAI-compatible HTTP endpoint that serves recorded outputs of
 * real models (../shared/data), so tests, benchmarks and demos run the production client code
 * without calling a paid model. Knobs: latency scale, per-model concurrency (queues really form),
 * and fault injection (faults.ts). It never invents an answer or a confidence; whatever it derives
 * is listed in the `x-recorded-derived` response header.
 *
 * Data: JSONL files of the ../shared/data shape, or folders of them (dataset.ts). An MT-Bench folder
 * (routellm/mt_bench: question.jsonl + judgements.jsonl, see mt-bench.ts) serves two kinds of call:
 * - an answer: model = the judged model (`mistralai/Mixtral-8x7B-Instruct-v0.1`,
 *   `gpt-4-1106-preview`), no system message, user = the turn-1 question -> its recorded answer;
 * - a judge call: model = the recorded judge (`gpt-4`), system = JUDGE_SYSTEM, user =
 *   buildJudgeMessages(question, answer)[1].content (src/request/router/judge.ts) -> the judge's recorded
 *   judgment text, ending with its score as `[[N]]` (mostly `Rating: [[N]]`), only when that exact
 *   (question, answer) pair was judged; any other pair or judge name is the usual 404.
 * Neither has recorded usage or latency: both are derived and flagged. A judge reply carries
 * `x-recorded-judge-prompt` (`single-v1`, or `single-math-v1`: that judge also saw a reference
 * answer), since the recorded judge saw MT-Bench's own prompt, not JUDGE_SYSTEM word for word.
 *
 * Tool calls: a row whose `answer` is `{ tool_calls: [...] }` (data/synthetic/tools) is served as
 * an assistant message with `tool_calls`, content null and `finish_reason: "tool_calls"`, to a
 * request that offers tools. `max_tokens` (or `max_completion_tokens`) cuts a longer recorded text
 * (`finish_reason: "length"`), and `stop` cuts it before the first stop sequence.
 *
 * Every body it is sent is kept (the last `requestLogSize` per model, request-log.ts), so tests can
 * see which parameters reached which model.
 *
 * `stream: true` streams the reply as OpenAI's chunks, the recorded latency spread over its pieces
 * so the first token comes before the last (stream.ts).
 *
 * Routes: POST /v1/chat/completions, POST /v1/messages (Anthropic's Messages API, same lookup:
 * anthropic-route.ts), GET /v1/models, GET /metrics, GET /healthz, GET|POST|DELETE /admin/faults,
 * GET|DELETE /admin/requests (loopback only).
 */
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { resolveCompletion, type ServedAnswer } from './answer';
import { registerAnthropicRoute } from './anthropic-route';
import { serveAnswer } from './serve-answer';
import { streamAnswer, type StreamGate } from './stream';
import { loadDataset, type RecordedDataset } from './dataset';
import {
  FaultInjector,
  faultScriptSchema,
  isFaultKind,
  respondWithFault,
  type FaultKind,
  type FaultStep,
} from './faults';
import { paramPath } from '../../doors/gateway/param-path';
import { ConcurrencyLimiter } from './limiter';
import { createRecordedMetrics, type RecordedMetrics } from './metrics';
import { DEFAULT_REQUEST_LOG_SIZE, registerRequestLogRoutes, RequestLog } from './request-log';
import {
  chatCompletionRequestSchema,
  openAiError,
  requestErrorFromZod,
  type OpenAiErrorBody,
} from './openai-schema';

export interface RecordedServerOptions {
  /** JSONL data files, or folders whose `*.jsonl` files are loaded (an MT-Bench folder). */
  dataFiles: string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = a random free port. */
  port?: number;
  /** Multiplies recorded latency_ms; 0 = answer at once. Default 1. */
  latencyScale?: number;
  /** Latency for a row that has none (flagged `latency`). Default 200. */
  defaultLatencyMs?: number;
  /** Concurrent requests per model: one number for all, or per model name ('*' = the rest). Default 4. */
  concurrency?: number | Record<string, number>;
  /** Share of requests (0..1) that fail with a kind drawn from faultKinds. Default 0. */
  faultRate?: number;
  /** Kinds drawn by faultRate. Default ['429', '500']. */
  faultKinds?: FaultKind[];
  /** Seed of the fault PRNG. Default 1. */
  seed?: number;
  /** Retry-After of an injected 429, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** How long an injected timeout holds the connection before dropping it. Default 120000. */
  timeoutHangMs?: number;
  /** Latency of a self-check (flagged `latency`). Default 50. */
  selfCheckLatencyMs?: number;
  /** Extra model names: { alias: realName }. */
  aliases?: Record<string, string>;
  /** Fastify request logging. Default false. */
  logger?: boolean;
  /** Request bodies kept per model for GET /admin/requests (0: none). Default 100. */
  requestLogSize?: number;
  /**
   * Streamed replies (`stream: true`): after the first content piece, the rest waits for this
   * gate, and `cut` drops the connection there (tests, in-process: stream.ts).
   */
  streamGate?: StreamGate;
}

export interface RecordedServer {
  url: string;
  /** url + '/v1': what an OpenAI client takes as baseURL. */
  baseUrl: string;
  port: number;
  dataset: RecordedDataset;
  /** The bodies it was sent (also served by GET /admin/requests). */
  requestLog: RequestLog;
  close(): Promise<void>;
}

const DEFAULT_CONCURRENCY = 4;
const CHAT_ROUTE = '/v1/chat/completions';

interface Settings {
  latencyScale: number;
  defaultLatencyMs: number;
  selfCheckLatencyMs: number;
  retryAfterSeconds: number;
  timeoutHangMs: number;
}

export async function startRecordedServer(opts: RecordedServerOptions): Promise<RecordedServer> {
  const settings = validateOptions(opts);
  const dataset = await loadDataset(opts.dataFiles, { aliases: opts.aliases });
  const limiter = new ConcurrencyLimiter(concurrencyFor(dataset, opts.concurrency));
  const metrics = createRecordedMetrics(limiter, () => dataset.models());
  const requestLog = new RequestLog(opts.requestLogSize ?? DEFAULT_REQUEST_LOG_SIZE);
  const faults = new FaultInjector({
    faultRate: opts.faultRate,
    faultKinds: opts.faultKinds,
    seed: opts.seed,
  });
  // Aborted by close(): ends every wait (queue, latency, hung timeout) so shutdown is prompt.
  const shutdown = new AbortController();

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 32 * 1024 * 1024,
    forceCloseConnections: true,
  });
  registerErrorHandlers(app, metrics);
  const routeDeps = { dataset, limiter, metrics, faults, settings, shutdown: shutdown.signal, requestLog };
  registerChatRoute(app, { ...routeDeps, streamGate: opts.streamGate });
  registerAnthropicRoute(app, routeDeps);
  registerInfoRoutes(app, dataset, metrics);
  registerAdminRoutes(app, dataset, faults);
  registerRequestLogRoutes(app, requestLog);

  const host = opts.host ?? '127.0.0.1';
  await app.listen({ host, port: opts.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (opts.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    baseUrl: `${url}/v1`,
    port,
    dataset,
    requestLog,
    close() {
      closing ??= (async () => {
        shutdown.abort();
        await app.close();
      })();
      return closing;
    },
  };
}

function validateOptions(opts: RecordedServerOptions): Settings {
  const nonNegative = (name: string, v: number | undefined, fallback: number): number => {
    const value = v ?? fallback;
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`${name} must be a non-negative number, got ${v}`);
    return value;
  };
  if (!Array.isArray(opts.dataFiles) || opts.dataFiles.length === 0) {
    throw new Error('dataFiles must list at least one JSONL file or folder');
  }
  const retryAfterSeconds = nonNegative('retryAfterSeconds', opts.retryAfterSeconds, 1);
  if (!Number.isInteger(retryAfterSeconds))
    throw new Error('retryAfterSeconds must be a whole number of seconds');
  return {
    latencyScale: nonNegative('latencyScale', opts.latencyScale, 1),
    defaultLatencyMs: nonNegative('defaultLatencyMs', opts.defaultLatencyMs, 200),
    selfCheckLatencyMs: nonNegative('selfCheckLatencyMs', opts.selfCheckLatencyMs, 50),
    retryAfterSeconds,
    timeoutHangMs: nonNegative('timeoutHangMs', opts.timeoutHangMs, 120_000),
  };
}

/** Per-model slot counts; names in a per-model map may be aliases. Checked here, at start. */
function concurrencyFor(
  dataset: RecordedDataset,
  concurrency: number | Record<string, number> | undefined,
): (model: string) => number {
  const check = (name: string, n: number): number => {
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`concurrency for ${name} must be a positive integer, got ${n}`);
    return n;
  };
  if (concurrency === undefined || typeof concurrency === 'number') {
    const n = check('every model', concurrency ?? DEFAULT_CONCURRENCY);
    return () => n;
  }
  const perModel = new Map<string, number>();
  let fallback = DEFAULT_CONCURRENCY;
  for (const [name, n] of Object.entries(concurrency)) {
    if (name === '*') {
      fallback = check('*', n);
      continue;
    }
    const real = dataset.resolveModel(name);
    if (real === undefined)
      throw new Error(`concurrency is set for ${JSON.stringify(name)}, which no data file serves`);
    perModel.set(real, check(name, n));
  }
  return (model) => perModel.get(model) ?? fallback;
}

/** Metrics label of a request that may not have a valid body. */
function modelLabel(body: unknown, dataset?: RecordedDataset): string {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  if (typeof model !== 'string') return '';
  return dataset?.resolveModel(model) ?? model.slice(0, 200);
}

function registerErrorHandlers(app: FastifyInstance, metrics: RecordedMetrics): void {
  // Errors fastify raises before a handler runs (unparseable JSON, wrong content type, too large)
  // get OpenAI-style bodies too.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (request.routeOptions.url === CHAT_ROUTE) metrics.countRequest('', String(status));
    const body: OpenAiErrorBody =
      status < 500
        ? openAiError(error.message, { code: error.code ?? null })
        : openAiError(`internal error: ${error.message}`, { type: 'server_error' });
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(
      openAiError(`no route ${request.method} ${request.url} on the recorded-model server`, {
        code: 'unknown_url',
      }),
    ),
  );
}

interface ChatDeps {
  dataset: RecordedDataset;
  limiter: ConcurrencyLimiter;
  metrics: RecordedMetrics;
  faults: FaultInjector;
  settings: Settings;
  shutdown: AbortSignal;
  requestLog: RequestLog;
  streamGate?: StreamGate;
}

let completionCounter = 0;

function registerChatRoute(app: FastifyInstance, deps: ChatDeps): void {
  const { dataset, limiter, metrics, faults, settings, requestLog } = deps;

  app.post(CHAT_ROUTE, async (request, reply) => {
    requestLog.add(CHAT_ROUTE, request.body);
    // Fires when the client goes away before the response is complete, or on server shutdown.
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    const signal = AbortSignal.any([gone.signal, deps.shutdown]);
    let label = modelLabel(request.body, dataset);
    const sendError = (status: number, body: OpenAiErrorBody): FastifyReply => {
      metrics.countRequest(label, String(status));
      return reply.code(status).send(body);
    };

    const parsed = chatCompletionRequestSchema.safeParse(request.body);
    if (!parsed.success) return sendError(400, requestErrorFromZod(parsed.error, request.body));
    const body = parsed.data;
    label = dataset.resolveModel(body.model) ?? body.model;

    const faultHeader = readFaultHeaders(request);
    if ('error' in faultHeader) return sendError(400, faultHeader.error);

    // Faults come before the lookup, as a provider's rate limiter answers before the model runs;
    // that also makes a script consume exactly one step per valid request.
    const fault = faults.decide(label, faultHeader.kind);
    if (fault) {
      const outcome = await respondWithFault(fault.kind, request, reply, {
        model: label,
        retryAfterSeconds: faultHeader.retryAfterSeconds ?? settings.retryAfterSeconds,
        timeoutHangMs: settings.timeoutHangMs,
        signal,
      });
      metrics.countRequest(label, outcome);
      return reply;
    }

    const resolution = resolveCompletion(dataset, body, settings);
    if (resolution.kind !== 'answer') {
      return sendError(
        resolution.kind === 'not_found' ? 404 : 400,
        openAiError(resolution.message, {
          param: resolution.param,
          code: resolution.kind === 'not_found' ? 'recorded_not_found' : 'invalid_value',
        }),
      );
    }

    if (body.stream) {
      return streamAnswer(request, reply, resolution, {
        deps: { limiter, metrics, latencyScale: settings.latencyScale },
        label,
        signal,
        includeUsage: body.stream_options?.include_usage === true,
        gate: deps.streamGate,
      });
    }
    return serveAnswer(reply, resolution, {
      deps: { limiter, metrics, latencyScale: settings.latencyScale },
      label,
      signal,
      body: completionBody,
    });
  });
}

/** `x-recorded-fault` and `x-recorded-retry-after`, validated. */
function readFaultHeaders(
  request: FastifyRequest,
): { kind: FaultStep | undefined; retryAfterSeconds: number | undefined } | { error: OpenAiErrorBody } {
  const rawKind = request.headers['x-recorded-fault'];
  const rawRetry = request.headers['x-recorded-retry-after'];
  let kind: FaultStep | undefined;
  if (rawKind !== undefined) {
    const value = (Array.isArray(rawKind) ? rawKind[0] : rawKind)?.trim() ?? '';
    if (value !== 'ok' && !isFaultKind(value)) {
      return {
        error: openAiError(
          `header x-recorded-fault must be one of 429, 500, timeout, reset, malformed, empty, ok; got ${JSON.stringify(value)}`,
          { param: 'x-recorded-fault', code: 'invalid_value' },
        ),
      };
    }
    kind = value;
  }
  let retryAfterSeconds: number | undefined;
  if (rawRetry !== undefined) {
    const value = (Array.isArray(rawRetry) ? rawRetry[0] : rawRetry)?.trim() ?? '';
    retryAfterSeconds = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
    if (Number.isNaN(retryAfterSeconds)) {
      return {
        error: openAiError(
          `header x-recorded-retry-after must be a whole number of seconds; got ${JSON.stringify(value)}`,
          { param: 'x-recorded-retry-after', code: 'invalid_value' },
        ),
      };
    }
  }
  return { kind, retryAfterSeconds };
}

function completionBody(answer: ServedAnswer): object {
  completionCounter++;
  return {
    id: `chatcmpl-recorded-${completionCounter}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    // The real model name, as OpenAI answers a request for an alias with the dated snapshot.
    model: answer.model,
    choices: [
      {
        index: 0,
        message: answer.toolCalls
          ? { role: 'assistant', content: null, refusal: null, tool_calls: answer.toolCalls }
          : { role: 'assistant', content: answer.content, refusal: null },
        logprobs: answer.logprobs,
        finish_reason: answer.toolCalls ? 'tool_calls' : (answer.finishReason ?? 'stop'),
      },
    ],
    usage: answer.usage,
    system_fingerprint: null,
  };
}

function registerInfoRoutes(app: FastifyInstance, dataset: RecordedDataset, metrics: RecordedMetrics): void {
  const modelEntry = (id: string): object => ({ id, object: 'model', created: 0, owned_by: 'recorded' });
  const servable = (): string[] => [...dataset.models(), ...Object.keys(dataset.aliases())].sort();

  app.get('/v1/models', async () => ({ object: 'list', data: servable().map(modelEntry) }));
  app.get<{ Params: { '*': string } }>('/v1/models/*', async (request, reply) => {
    // Model names may contain slashes (llmdrift's "openaichat/gpt-4-0613"), hence the wildcard.
    const id = request.params['*'];
    if (dataset.resolveModel(id) === undefined) {
      return reply.code(404).send(
        openAiError(`model ${JSON.stringify(id)} is not recorded`, {
          param: 'model',
          code: 'recorded_not_found',
        }),
      );
    }
    return modelEntry(id);
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
  app.get('/healthz', async () => ({
    status: 'ok',
    models: dataset.models().length,
    prompts: dataset.promptCount,
    stats: dataset.stats,
  }));
}

function registerAdminRoutes(app: FastifyInstance, dataset: RecordedDataset, faults: FaultInjector): void {
  app.get('/admin/faults', async () => ({ scripts: faults.scripts() }));
  app.post('/admin/faults', async (request, reply) => {
    const parsed = faultScriptSchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue ? paramPath(issue.path) : null;
      return reply
        .code(400)
        .send(
          openAiError(
            `invalid fault script${param ? ` at '${param}'` : ''}: ${issue?.message ?? 'bad body'}. ` +
              'Expected {"model"?: string, "sequence": [("429"|"500"|"timeout"|"reset"|"malformed"|"empty"|"ok"), ...]}',
            { param, code: 'invalid_value' },
          ),
        );
    }
    const { model, sequence } = parsed.data;
    let real: string | undefined;
    if (model !== undefined) {
      real = dataset.resolveModel(model);
      if (real === undefined) {
        return reply.code(400).send(
          openAiError(`fault script for ${JSON.stringify(model)}: no data file serves that model`, {
            param: 'model',
            code: 'recorded_not_found',
          }),
        );
      }
    }
    faults.setScript(real, sequence);
    return { ok: true, scripts: faults.scripts() };
  });
  app.delete('/admin/faults', async () => {
    faults.clearScripts();
    return { ok: true, scripts: [] };
  });
}
