/**
 * The gateway's bootstrap: a Fastify app with bearer auth on every route (before the body is
 * read), a body limit, a deadline for the whole request to arrive, a JSON parser that refuses
 * what is not UTF-8 text or nests too deep (src/gateway/body.ts), OpenAI-style errors for
 * everything (including Fastify's own and those Node's HTTP server answers by itself), and the
 * routes: chat completions, models, feedback, cancel.
 */
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { CascadeClient } from '../client/cascade-client';
import { authenticate, type Caller, type GatewayAuth } from './auth';
import { registerCancel } from './cancel';
import { registerCompletions } from './completions';
import type { GatewayContext } from './context';
import { registerJsonBodyParser } from './body';
import { fromClientError, fromFastifyError, GatewayError, rawErrorResponse, sendError } from './errors';
import { registerFeedback } from './feedback';
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
}

/** Routes and the methods they take, for 405s. */
const ROUTES: [RegExp, string][] = [
  [/^\/v1\/chat\/completions\/?$/, 'POST'],
  [/^\/v1\/models(\/.*)?$/, 'GET'],
  [/^\/v1\/feedback\/?$/, 'POST'],
  [/^\/v1\/requests\/[^/]+$/, 'DELETE'],
];

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
  };
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: opts.logger ?? false,
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
  app.addHook('onRequest', async (req) => {
    if (req.method === 'GET' && req.url === '/metrics') return; // Prometheus scrapes without a token
    req.caller = authenticate(ctx.auth, req.headers.authorization);
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const mapped = err instanceof GatewayError ? err : fromFastifyError(err);
    if (mapped) return sendError(reply, mapped);
    process.stderr.write(`gateway: ${req.method} ${req.url}: ${err.stack ?? err.message}\n`);
    return sendError(
      reply,
      new GatewayError(500, `internal error: ${err.message}`, 'api_error', 'internal_error'),
    );
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const route = ROUTES.find(([re]) => re.test(path));
    if (route) {
      return sendError(
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
    return sendError(
      reply,
      new GatewayError(
        404,
        `Unknown request URL: ${req.method} ${path}`,
        'invalid_request_error',
        'unknown_url',
      ),
    );
  });
  registerCompletions(app, ctx);
  registerModels(app, ctx);
  registerFeedback(app, ctx);
  registerCancel(app, ctx);
  registerMetrics(app, ctx);
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
