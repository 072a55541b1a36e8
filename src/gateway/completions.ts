/**
 * POST /v1/chat/completions: validate, resolve the policy, start (or join) the request's
 * workflow, wait for its checked answer, and answer as OpenAI would, plain or streamed.
 * Nothing is started for a request refused at validation; a client that disconnects does not
 * cancel the workflow (it finishes, is recorded, and a repeat with the same key gets its answer).
 */
import {
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../client/request';
import type { Trace } from '../router/trace';
import type { GatewayContext } from './context';
import { badRequest, GatewayError } from './errors';
import {
  assertSameBody,
  bodyHash,
  MEMO_BODY_HASH,
  MEMO_TOKEN_ID,
  requestKey,
  scopedRequestId,
} from './idempotency';
import { streamCompletion } from './streaming';
import { cascadeHeaders, resolveTask, toCascadeRequest, toCompletion, traceUrl } from './translate';
import { parseChatCompletion } from './validation';

/** Request fields of the cascade request, as the OpenAI parameter a caller would recognise. */
const PARAM_OF: Record<string, string> = {
  messages: 'messages',
  prompt: 'messages',
  task: 'model',
  responseSchema: 'response_format.json_schema.schema',
  maxTokens: 'max_tokens',
  temperature: 'temperature',
  id: 'Idempotency-Key',
};

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
  return badRequest(`Invalid request: ${param ?? '(body)'}: ${issue.message}`, param, 'invalid_value');
}

/** Waits for the workflow's trace, at most `timeoutMs`; the workflow runs on regardless. */
async function waitForTrace(
  ctx: GatewayContext,
  handle: WorkflowHandle,
  requestId: string,
  headers: Record<string, string>,
): Promise<Trace> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ctx.resultTimeoutMs);
  try {
    return (await ctx.cascade.client.connection.withAbortSignal(abort.signal, () =>
      handle.result(),
    )) as Trace;
  } catch (err) {
    if (abort.signal.aborted) {
      throw new GatewayError(
        504,
        `request "${requestId}" did not finish within ${ctx.resultTimeoutMs} ms; it is still running: repeat the request with the same Idempotency-Key to get its answer`,
        'timeout_error',
        'gateway_timeout',
        null,
        headers,
      );
    }
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      if (cause instanceof CancelledFailure) {
        throw new GatewayError(
          409,
          `request "${requestId}" was cancelled`,
          'conflict_error',
          'request_cancelled',
          null,
          headers,
        );
      }
      if (cause instanceof TimeoutFailure) {
        throw new GatewayError(
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
      throw new GatewayError(
        500,
        `request "${requestId}" ${what}`,
        'api_error',
        'workflow_failed',
        null,
        headers,
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export function registerCompletions(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/chat/completions', async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = req.caller!;
    const body = parseChatCompletion(req.body);
    const loaded = ctx.cascade.config;
    const task = resolveTask(body.model, loaded);
    const { key } = requestKey(req.headers);
    const requestId = scopedRequestId(caller.tokenId, key);
    const hash = bodyHash(req.body as Record<string, unknown>);
    const url = traceUrl(ctx.uiBaseUrl, ctx.namespace, requestId);
    const idHeaders = { 'x-cascade-request-id': requestId, 'x-cascade-trace-url': url };

    let started;
    try {
      started = await ctx.cascade.start(
        toCascadeRequest(body, { requestId, task, tokenId: caller.tokenId }),
        {
          memo: { [MEMO_BODY_HASH]: hash, [MEMO_TOKEN_ID]: caller.tokenId },
          failIfExists: true,
          requestEagerStart: ctx.eagerStart,
        },
      );
    } catch (err) {
      if (err instanceof RequestError) throw fromRequestError(err);
      throw err;
    }
    if (started.existing) await assertSameBody(started.handle, hash, requestId);
    if (started.eagerlyStarted) ctx.stats.eagerlyStarted++;
    ctx.stats.started++;

    const trace = await waitForTrace(ctx, started.handle, requestId, idHeaders);
    const headers = cascadeHeaders(trace, url);
    if (trace.status !== 'answered' || trace.final.answer === null) {
      const capped = trace.escalations.at(-1)?.reason === 'spend_cap';
      throw new GatewayError(
        capped ? 429 : 502,
        `request "${requestId}" got no answer: ${trace.error ?? trace.status}`,
        capped ? 'insufficient_quota' : 'api_error',
        capped ? 'spend_cap' : 'upstream_failed',
        null,
        headers,
      );
    }
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
    const completion = toCompletion(trace, body.model, Math.floor(Date.now() / 1000));
    if (body.stream) {
      streamCompletion(reply, completion, headers, body.stream_options?.include_usage === true);
      return reply;
    }
    return reply.headers(headers).send(completion);
  });
}
