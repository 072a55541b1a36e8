/**
 * POST /v1/chat/completions: validate, resolve the policy, start (or join) the request's
 * workflow, wait for its checked answer, and answer as OpenAI would, plain or streamed (live, as
 * the model produces it, when nothing can overrule that answer: src/doors/gateway/streaming.ts).
 * Nothing is started for a request refused at validation; a client that disconnects does not
 * cancel the workflow (it finishes, is recorded, and a repeat with the same key gets its answer).
 */
import {
  CancelledFailure,
  ServiceError,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StartedCascade } from '../client/cascade-client';
import { RequestError } from '../client/request';
import type { Trace } from '../../request/router/trace';
import type { GatewayContext } from './context';
import { badRequest, GatewayError, temporalUnavailable } from './errors';
import {
  assertSameBody,
  bodyHash,
  MEMO_BODY_HASH,
  MEMO_TOKEN_ID,
  requestKey,
  scopedRequestId,
} from './idempotency';
import { liveChannels, type LiveSubscription } from '../../temporal/activities/live-channel';
import type { CascadeInput } from '../../request/router/cascade-input';
import { escalatedBefore, mayStreamLive } from '../../request/router/live-stream';
import { LiveStream, streamCompletion } from './streaming';
import {
  cascadeHeaders,
  completionId,
  resolveTask,
  servedReply,
  toCascadeRequest,
  toCompletion,
  traceUrl,
} from './translate';
import { parseChatCompletion, type ChatCompletionBody } from './validation';

/** Request fields of the cascade request, as the OpenAI parameter a caller would recognise. */
const PARAM_OF: Record<string, string> = {
  messages: 'messages',
  prompt: 'messages',
  task: 'model',
  responseSchema: 'response_format.json_schema.schema',
  maxTokens: 'max_tokens',
  temperature: 'temperature',
  id: 'Idempotency-Key',
  // The caller's parameters, refused when a rung cannot honour them (src/request/router/param-support.ts).
  stop: 'stop',
  seed: 'seed',
  topP: 'top_p',
  frequencyPenalty: 'frequency_penalty',
  presencePenalty: 'presence_penalty',
  logprobs: 'logprobs',
  topLogprobs: 'top_logprobs',
  user: 'user',
  providerMetadata: 'metadata',
  store: 'store',
  tools: 'tools',
  toolChoice: 'tool_choice',
  parallelToolCalls: 'parallel_tool_calls',
};

const CAPABILITY_PARAMS = new Set([
  'seed',
  'frequencyPenalty',
  'presencePenalty',
  'logprobs',
  'topLogprobs',
  'providerMetadata',
  'store',
  'tools',
]);

function fromRequestError(err: RequestError): GatewayError {
  const issue = err.issues[0] ?? { path: '', message: err.message };
  if (issue.path === 'metadata.tenant' && issue.message.startsWith('spend_cap')) {
    return new GatewayError(429, issue.message, 'insufficient_quota', 'spend_cap');
  }
  if (issue.path === 'metadata.tenant') {
    return new GatewayError(500, issue.message, 'api_error', 'spend_cap_unchecked');
  }
  const top = issue.path.split(/[.[]/)[0]!;
  const param = PARAM_OF[top] ?? (issue.path || null);
  // A parameter the request's rungs cannot honour: named, and said why (not a bad value).
  const unsupported = CAPABILITY_PARAMS.has(top) && !issue.path.includes('.') && !issue.path.includes('[');
  return badRequest(
    `${unsupported ? 'Unsupported parameter' : 'Invalid request'}: ${param ?? '(body)'}: ${issue.message}`,
    param,
    unsupported ? 'unsupported_parameter' : 'invalid_value',
  );
}

/**
 * gRPC codes of a Temporal call that say the server answered and refused: nothing was started
 * by it, and repeating it changes nothing. Any other failure (UNAVAILABLE, DEADLINE_EXCEEDED, a
 * connection reset, ...) may have happened after the call reached the server.
 */
const REFUSED = new Set([3, 5, 6, 7, 9, 11, 12, 16]);

function isTemporalTransient(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return !(typeof code === 'number' && REFUSED.has(code));
}

/**
 * When this request must be answered: the gateway's `--timeout`, or sooner when the caller says
 * it gives up sooner (`X-Stainless-Timeout`, seconds, sent by OpenAI's SDKs, which retry a
 * request that timed out on their side without a key: a blind retry). The answer then comes a
 * little before the caller's own deadline (a tenth of it, at most 2 s, earlier).
 */
export function requestDeadline(ctx: GatewayContext, headers: Record<string, unknown>, now: number): number {
  let ms = ctx.resultTimeoutMs;
  const raw = headers['x-stainless-timeout'];
  const callerSeconds = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (callerSeconds > 0) {
    const callerMs = callerSeconds * 1000;
    ms = Math.min(ms, callerMs - Math.min(2_000, callerMs / 10));
  }
  return now + ms;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
/** Between attempts while Temporal is unreachable: 250 ms doubling to 2 s. */
const backoff = (attempt: number) => Math.min(2_000, 250 * 2 ** attempt);

/** The answer once a start may have reached Temporal and no answer came by the deadline. */
function inProgress(
  requestId: string,
  key: string,
  headers: Record<string, string>,
  outage: boolean,
): GatewayError {
  const again = `repeat the request with "Idempotency-Key: ${key}" to get its answer (it runs once), or cancel it with DELETE /v1/requests/${key}`;
  return new GatewayError(
    504,
    outage
      ? `Temporal became unreachable while request "${requestId}" was being started or awaited: it may be running. Do not send it as a new request: ${again}`
      : `request "${requestId}" did not finish in time; it is still running: ${again}`,
    'timeout_error',
    outage ? 'request_in_progress' : 'gateway_timeout',
    null,
    headers,
  );
}

/**
 * Before a start, when the last call to Temporal failed: is it back? A failed probe is a 503
 * worth retrying as it is (no start was sent). A gateway that has seen no failure sends its
 * start straight away.
 */
async function ensureTemporalUp(ctx: GatewayContext): Promise<void> {
  const since = ctx.temporal.downSince;
  if (since === null) return;
  const connection = ctx.cascade.client.connection;
  try {
    await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}));
    ctx.temporal.downSince = null;
  } catch (err) {
    throw temporalUnavailable(`since ${new Date(since).toISOString()}: ${(err as Error).message}`);
  }
}

/**
 * Starts (or joins) the request's workflow, again and again while Temporal is unreachable, until
 * the deadline: the id is fixed, so a start that reached Temporal before its answer was lost is
 * found by the next one (`existing`, the same body hash: joined), never started twice.
 */
async function startOrJoin(
  ctx: GatewayContext,
  start: () => Promise<StartedCascade>,
  hash: string,
  requestId: string,
  key: string,
  headers: Record<string, string>,
  deadline: number,
): Promise<StartedCascade> {
  for (let attempt = 0; ; attempt++) {
    try {
      const started = await ctx.cascade.client.connection.withDeadline(deadline, start);
      if (started.existing)
        await ctx.cascade.client.connection.withDeadline(deadline, () =>
          assertSameBody(started.handle, hash, requestId),
        );
      ctx.temporal.downSince = null;
      return started;
    } catch (err) {
      if (err instanceof GatewayError) throw withHeaders(err, headers);
      if (err instanceof RequestError) throw withHeaders(fromRequestError(err), headers);
      if (!isTemporalTransient(err)) {
        if (err instanceof ServiceError) {
          throw new GatewayError(
            500,
            `Temporal refused the start of "${requestId}": ${err.message}`,
            'api_error',
            'temporal_error',
            null,
            headers,
          );
        }
        throw unexpected(err, requestId, headers);
      }
      ctx.temporal.downSince ??= Date.now();
      if (Date.now() + backoff(attempt) >= deadline) throw inProgress(requestId, key, headers, true);
      await sleep(backoff(attempt));
    }
  }
}

/** Anything else after a start was sent: a 500 that still names the request (and is logged). */
function unexpected(err: unknown, requestId: string, headers: Record<string, string>): GatewayError {
  const e = err as Error;
  process.stderr.write(`gateway: request ${requestId}: ${e.stack ?? e.message}\n`);
  return new GatewayError(
    500,
    `internal error on request "${requestId}": ${e.message}`,
    'api_error',
    'internal_error',
    null,
    headers,
  );
}

/** An error with the request's id headers added (errors after a start was sent carry them). */
function withHeaders(err: GatewayError, headers: Record<string, string>): GatewayError {
  return new GatewayError(err.status, err.message, err.type, err.code, err.param, {
    ...headers,
    ...err.headers,
  });
}

/**
 * Waits for the workflow's trace until the deadline, through Temporal outages (the workflow runs
 * on regardless; a wait that fails while Temporal is unreachable is resumed).
 */
async function waitForTrace(
  ctx: GatewayContext,
  handle: WorkflowHandle,
  requestId: string,
  key: string,
  headers: Record<string, string>,
  deadline: number,
): Promise<Trace> {
  let outage = false;
  for (let attempt = 0; ; attempt++) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), deadline - Date.now());
    try {
      const trace = (await ctx.cascade.client.connection.withAbortSignal(abort.signal, () =>
        handle.result(),
      )) as Trace;
      ctx.temporal.downSince = null;
      return trace;
    } catch (err) {
      if (abort.signal.aborted || Date.now() >= deadline) throw inProgress(requestId, key, headers, outage);
      if (err instanceof WorkflowFailedError) throw workflowFailed(err, requestId, headers);
      if (!isTemporalTransient(err)) {
        throw err instanceof GatewayError ? withHeaders(err, headers) : unexpected(err, requestId, headers);
      }
      outage = true;
      ctx.temporal.downSince ??= Date.now();
      if (Date.now() + backoff(attempt) >= deadline) throw inProgress(requestId, key, headers, true);
      await sleep(backoff(attempt));
    } finally {
      clearTimeout(timer);
    }
  }
}

function workflowFailed(
  err: WorkflowFailedError,
  requestId: string,
  headers: Record<string, string>,
): GatewayError {
  const cause = err.cause;
  if (cause instanceof CancelledFailure) {
    return new GatewayError(
      409,
      `request "${requestId}" was cancelled`,
      'conflict_error',
      'request_cancelled',
      null,
      headers,
    );
  }
  if (cause instanceof TimeoutFailure) {
    return new GatewayError(
      504,
      `request "${requestId}" timed out in Temporal`,
      'timeout_error',
      'workflow_timeout',
      null,
      headers,
    );
  }
  const what =
    cause instanceof TerminatedFailure ? 'was terminated' : `failed: ${cause?.message ?? err.message}`;
  return new GatewayError(
    500,
    `request "${requestId}" ${what}`,
    'api_error',
    'workflow_failed',
    null,
    headers,
  );
}

export function registerCompletions(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/chat/completions', async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = req.caller!;
    // The key's tokens for this minute (its requests per minute are counted before the handler).
    ctx.limits.checkTokens(caller.tokenId);
    const deadline = requestDeadline(ctx, req.headers, Date.now());
    const body = parseChatCompletion(req.body);
    const loaded = ctx.cascade.config;
    const task = resolveTask(body.model, loaded);
    const { key } = requestKey(req.headers, caller.tokenId);
    const requestId = scopedRequestId(caller.tokenId, key);
    const hash = bodyHash(req.body as Record<string, unknown>);
    const url = traceUrl(ctx.uiBaseUrl, ctx.namespace, requestId);
    const idHeaders = { 'x-cascade-request-id': requestId, 'x-cascade-trace-url': url };

    // Everything that can refuse the request without Temporal, before anything is sent to it.
    let prepared;
    try {
      prepared = ctx.cascade.prepare(toCascadeRequest(body, { requestId, task, tokenId: caller.tokenId }));
    } catch (err) {
      if (err instanceof RequestError) throw fromRequestError(err);
      throw err;
    }
    try {
      await ctx.cascade.checkSpendCap(prepared);
    } catch (err) {
      if (err instanceof RequestError) throw fromRequestError(err);
      throw err;
    }
    await ensureTemporalUp(ctx);

    // A streamed request whose answer may come from a rung nothing can overrule listens, before
    // its workflow starts, for that call's text (a worker of this process streams it live).
    const live = body.stream ? subscribeLive(reply, prepared, body, idHeaders) : null;
    try {
      return await answer(ctx, req, reply, {
        body,
        prepared,
        requestId,
        key,
        hash,
        url,
        idHeaders,
        deadline,
        live,
      });
    } catch (err) {
      // Once text went out the status is sent: the stream ends with an error event instead.
      if (!live?.stream.started) throw err;
      live.stream.fail(err instanceof GatewayError ? err : unexpected(err, requestId, idHeaders));
      return reply;
    } finally {
      live?.subscription.close();
    }
  });
}

interface Live {
  subscription: LiveSubscription;
  stream: LiveStream;
}

/** The live stream of a request, subscribed to the process's live channel; null when it cannot have one. */
function subscribeLive(
  reply: FastifyReply,
  prepared: CascadeInput,
  body: ChatCompletionBody,
  idHeaders: Record<string, string>,
): Live | null {
  const { policy, request } = prepared;
  if (!mayStreamLive(policy, request)) return null;
  const stream = new LiveStream(reply, {
    requestId: request.id,
    id: completionId(request.id),
    model: body.model,
    systemFingerprint: policy.configVersion,
    created: Math.floor(Date.now() / 1000),
    includeUsage: body.stream_options?.include_usage === true,
    headers: { ...idHeaders, 'x-cascade-route': policy.route },
    callHeaders: (call) => {
      const escalated = escalatedBefore(policy, call.rung);
      return {
        'x-cascade-final-model': call.model,
        ...(escalated !== null ? { 'x-cascade-escalated': String(escalated) } : {}),
      };
    },
  });
  const subscription = liveChannels.subscribe(request.id, { policy, request, listener: stream });
  return subscription ? { subscription, stream } : null;
}

/**
 * The end of a live stream, once the workflow has its trace: the finish and usage when the trace
 * served exactly the text streamed; an error event otherwise (the stream already ended with one
 * if the call broke).
 */
function finishLive(live: Live, trace: Trace, model: string, headers: Record<string, string>): void {
  const { subscription, stream } = live;
  if (stream.ended) return;
  if (trace.status !== 'answered' || trace.final.answer === null) {
    stream.fail(noAnswer(trace, headers));
    return;
  }
  if (subscription.state !== 'done' || subscription.text !== trace.final.answer) {
    stream.fail({
      message:
        `request "${trace.requestId}": the answer served is not the text streamed ` +
        `(${subscription.state === 'done' ? 'another answer was served' : `the stream is ${subscription.state}`}); ` +
        `repeat the request with "Idempotency-Key: ${trace.requestId}" to get the answer`,
      type: 'api_error',
      code: 'stream_superseded',
    });
    return;
  }
  stream.finish(toCompletion(trace, model, Math.floor(Date.now() / 1000)));
}

/** A finished request without an answer: every rung failed, or the spend cap stopped it. */
function noAnswer(trace: Trace, headers: Record<string, string>): GatewayError {
  const capped = trace.escalations.at(-1)?.reason === 'spend_cap';
  return new GatewayError(
    capped ? 429 : 502,
    `request "${trace.requestId}" got no answer: ${trace.error ?? trace.status}`,
    capped ? 'insufficient_quota' : 'api_error',
    capped ? 'spend_cap' : 'upstream_failed',
    null,
    headers,
  );
}

async function answer(
  ctx: GatewayContext,
  req: FastifyRequest,
  reply: FastifyReply,
  r: {
    body: ChatCompletionBody;
    prepared: CascadeInput;
    requestId: string;
    key: string;
    hash: string;
    url: string;
    idHeaders: Record<string, string>;
    deadline: number;
    live: Live | null;
  },
): Promise<FastifyReply> {
  const { body, prepared, requestId, key, hash, url, idHeaders, deadline, live } = r;
  const caller = req.caller!;
  // From here a start may reach Temporal: every answer names the request, none invites a blind retry.
  const started = await startOrJoin(
    ctx,
    () =>
      ctx.cascade.start(null, {
        prepared,
        memo: { [MEMO_BODY_HASH]: hash, [MEMO_TOKEN_ID]: caller.tokenId },
        failIfExists: true,
        requestEagerStart: ctx.eagerStart,
      }),
    hash,
    requestId,
    key,
    idHeaders,
    deadline,
  );
  if (started.eagerlyStarted) ctx.stats.eagerlyStarted++;
  ctx.stats.started++;
  // A repeat joined a workflow another request started (with its own snapshot): unless its text
  // is already streaming here, this one gets the answer after the check.
  if (started.existing && live && !live.stream.started) live.subscription.close();

  const trace = await waitForTrace(ctx, started.handle, requestId, key, idHeaders, deadline);
  // A repeat that joined the first request's workflow used no tokens of its own.
  if (!started.existing) ctx.limits.spendTokens(caller.tokenId, trace);
  const headers = cascadeHeaders(trace, url);
  if (live?.stream.started) {
    finishLive(live, trace, body.model, headers);
    return reply;
  }
  if (trace.status !== 'answered' || trace.final.answer === null) throw noAnswer(trace, headers);
  const format = body.response_format;
  if (
    format?.type === 'json_schema' &&
    format.json_schema.strict &&
    headers['x-cascade-schema-valid'] === 'false'
  ) {
    throw new GatewayError(
      502,
      `request "${requestId}": no rung produced an answer matching the strict response schema`,
      'api_error',
      'schema_invalid',
      'response_format',
      headers,
    );
  }
  // A strict tool promises calls that meet its schema, as a strict response format does.
  if (
    body.tools?.some((t) => t.function.strict === true) &&
    servedReply(trace).toolCalls !== undefined &&
    headers['x-cascade-schema-valid'] === 'false'
  ) {
    throw new GatewayError(
      502,
      `request "${requestId}": no rung produced tool calls matching their strict tools' schemas`,
      'api_error',
      'schema_invalid',
      'tools',
      headers,
    );
  }
  const completion = toCompletion(trace, body.model, Math.floor(Date.now() / 1000));
  if (body.stream) {
    streamCompletion(reply, completion, headers, body.stream_options?.include_usage === true);
    return reply;
  }
  return reply.headers(headers).send(completion);
}
