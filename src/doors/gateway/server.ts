/**
 * The gateway's bootstrap: a Fastify app with token auth on every route but the probes and
 * metrics (before the body is read), a body limit, a deadline for the whole request to arrive, a
 * JSON parser that refuses what is not UTF-8 text or nests too deep (src/doors/gateway/body.ts),
 * OpenAI-style errors for everything (Anthropic-style on the Anthropic door, /v1/messages),
 * including Fastify's own and those Node's HTTP server answers by itself, an optional access log,
 * and the routes: chat completions, Anthropic messages, models, feedback, cancel, health, ready.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { CascadeClient } from '../client/cascade-client';
import { CASCADE_TASK_QUEUE } from '../../request/router/cascade-input';
import { registerAccessLog, stdoutAccessLog, type AccessLogWriter } from './access-log';
import { MESSAGES_PATH, registerAnthropicMessages } from './anthropic-messages';
import { authenticateRequest, type Caller, type GatewayAuth } from './auth';
import { registerCancel } from './cancel';
import { registerCompletions } from './completions';
import type { GatewayContext } from './context';
import { registerJsonBodyParser } from './body';
import {
  fromClientError,
  fromFastifyError,
  GatewayError,
  rawErrorResponse,
  sendAnthropicError,
  sendError,
} from './errors';
import { registerFeedback } from './feedback';
import { registerHealth } from './health';
import { keyLimits, registerRequestLimit } from './key-limits';
import type { CascadeConfig } from '../../request/config/schema';
import { internalRequests } from './internal-request';
import { registerMetrics } from './metrics';
import { registerModels } from './models';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_RESULT_TIMEOUT_MS = 300_000;
/** How long a request's headers and body may take to arrive (then 408, connection closed). */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

export interface GatewayOptions {
  cascade: CascadeClient;
  auth: GatewayAuth;
  /** The namespace of the trace links (default: the config's temporal.namespace). */
  namespace?: string;
  /** The Temporal Web UI base of the trace links (default http://localhost:8233). */
  uiBaseUrl?: string;
  /** Request eager workflow start (needs the client on a worker's NativeConnection). */
  eagerStart?: boolean;
  /** Body limit in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * How long a completion waits for its workflow before a 504 (default 5 minutes), Temporal
   * outages included: the deadline within which the gateway keeps a request it has sent.
   */
  resultTimeoutMs?: number;
  /**
   * How long a request's headers and body may take to arrive, from its first byte (default 30 s):
   * a slower one gets a 408 `request_timeout` and its connection is closed. Node checks every
   * second (every quarter of this, if shorter), so the cut comes up to that much later.
   */
  bodyTimeoutMs?: number;
  /** Log each request and every 5xx (Fastify's logger; default: 5xx to stderr only). */
  logger?: boolean;
  /**
   * The access log, one JSON line per request (src/doors/gateway/access-log.ts): true writes it to
   * stdout, a function gets each line. Default off (`cascade gateway` turns it on).
   */
  accessLog?: boolean | AccessLogWriter;
  /** Per-key limits (default: the cascade config's `gateway.limits`). */
  limits?: CascadeConfig['gateway']['limits'];
  /** The workflow task queue GET /ready looks for a worker on (default `cascade`). */
  taskQueue?: string;
  /** How long one /ready result serves further probes (default 1000 ms). */
  readyCacheMs?: number;
}

/** Routes and the methods they take, for 405s. */
const ROUTES: [RegExp, string][] = [
  [/^\/v1\/chat\/completions\/?$/, 'POST'],
  [/^\/v1\/messages\/?$/, 'POST'],
  [/^\/health$/, 'GET'],
  [/^\/ready$/, 'GET'],
  [/^\/v1\/models(\/.*)?$/, 'GET'],
  [/^\/v1\/feedback\/?$/, 'POST'],
  [/^\/v1\/requests\/[^/]+$/, 'DELETE'],
];

/** Routes any caller may ask without a token: probes carry none, and Prometheus scrapes without one. */
const PUBLIC_GETS = new Set(['/metrics', '/health', '/ready']);

/** The Anthropic door's paths answer errors in Anthropic's shape (its SDKs pick error classes by it). */
const isAnthropicPath = (url: string) => {
  const path = url.split('?')[0]!;
  return path === MESSAGES_PATH || path.startsWith(`${MESSAGES_PATH}/`);
};

const limitsOf = (opts: GatewayOptions) => opts.limits ?? opts.cascade.config.config.gateway.limits;

export async function buildGateway(
  opts: GatewayOptions,
): Promise<{ app: FastifyInstance; ctx: GatewayContext }> {
  const ctx: GatewayContext = {
    cascade: opts.cascade,
    auth: opts.auth,
    namespace: opts.namespace ?? opts.cascade.config.config.temporal.namespace,
    uiBaseUrl: opts.uiBaseUrl ?? 'http://localhost:8233',
    eagerStart: opts.eagerStart ?? false,
    resultTimeoutMs: opts.resultTimeoutMs ?? DEFAULT_RESULT_TIMEOUT_MS,
    stats: { started: 0, eagerlyStarted: 0 },
    temporal: { downSince: null },
    limits: keyLimits(limitsOf(opts)),
  };
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: opts.logger ?? false,
    // The access log's request_id: unique across replicas and restarts (Fastify counts from 1).
    genReqId: () => randomUUID(),
    // Node cuts a request that has not fully arrived in time (its `clientError`, below).
    requestTimeout: bodyTimeoutMs,
    http: {
      requestTimeout: bodyTimeoutMs,
      headersTimeout: bodyTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(bodyTimeoutMs / 4))),
    },
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      // As Node does: answer only when no response is in flight on this connection.
      const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (socket.writable && !inFlight?.headersSent) {
        socket.write(rawErrorResponse(fromClientError(err, bodyTimeoutMs)));
      }
      socket.destroy();
    },
  });
  // JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app);
  app.decorateRequest('caller', null);
  const internal = internalRequests();
  // First of the onRequest hooks, so that a request auth refuses is logged too.
  if (opts.accessLog) {
    registerAccessLog(app, opts.accessLog === true ? stdoutAccessLog : opts.accessLog, internal);
  }
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0]!;
    if ((req.method === 'GET' || req.method === 'HEAD') && PUBLIC_GETS.has(path)) return;
    req.caller = authenticateRequest(ctx.auth, req.headers);
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const send = isAnthropicPath(req.url) ? sendAnthropicError : sendError;
    const mapped = err instanceof GatewayError ? err : fromFastifyError(err);
    if (mapped) return send(reply, mapped);
    // The path, not the URL: a query string can carry anything a caller typed, a key included.
    process.stderr.write(`gateway: ${req.method} ${req.url.split('?')[0]}: ${err.stack ?? err.message}\n`);
    return send(
      reply,
      new GatewayError(500, `internal error: ${err.message}`, 'api_error', 'internal_error'),
    );
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const route = ROUTES.find(([re]) => re.test(path));
    const sendAs = isAnthropicPath(path) ? sendAnthropicError : sendError;
    if (route) {
      return sendAs(
        reply,
        new GatewayError(
          405,
          `${req.method} is not allowed on ${path}; use ${route[1]}`,
          'invalid_request_error',
          'method_not_allowed',
          null,
          {
            allow: route[1],
          },
        ),
      );
    }
    return sendAs(
      reply,
      new GatewayError(
        404,
        `Unknown request URL: ${req.method} ${path}`,
        'invalid_request_error',
        'unknown_url',
      ),
    );
  });
  // Requests per minute per key, on the route that starts work (the Anthropic door starts through it).
  await registerRequestLimit(app, limitsOf(opts), (req) => req.routeOptions.url === '/v1/chat/completions');
  registerCompletions(app, ctx);
  registerAnthropicMessages(app, ctx, internal);
  registerModels(app, ctx);
  registerFeedback(app, ctx);
  registerCancel(app, ctx);
  registerMetrics(app, ctx, internal);
  registerHealth(app, ctx, { taskQueue: opts.taskQueue ?? CASCADE_TASK_QUEUE, cacheMs: opts.readyCacheMs });
  return { app, ctx };
}

export interface RunningGateway {
  app: FastifyInstance;
  ctx: GatewayContext;
  /** http://host:port (the OpenAI base URL is `${url}/v1`). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startGateway(
  opts: GatewayOptions & { host?: string; port?: number },
): Promise<RunningGateway> {
  const { app, ctx } = await buildGateway(opts);
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ host, port: opts.port ?? 8787 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 8787);
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    app,
    ctx,
    url: `http://${shown}:${port}`,
    port,
    close: () => app.close(),
  };
}
