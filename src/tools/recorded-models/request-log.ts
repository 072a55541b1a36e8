/**
 * What the recorded-model server was sent: the last N request bodies per model (as parsed JSON,
 * headers never kept, so an API key sent as a bearer token is not stored), newest last, so a test
 * can see which parameters reached each rung of a cascade. Served by GET /admin/requests
 * (?model=<name> for one model, ?limit=<n> for the newest n), to loopback clients only: bodies
 * hold prompts. DELETE /admin/requests empties it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { openAiError } from './openai-schema';

export interface LoggedRequest {
  /** The route it came in on: /v1/chat/completions or /v1/messages. */
  route: string;
  /** The model name as sent (before alias resolution). */
  model: string;
  /** Wall-clock ISO time it arrived (for reading, never compared). */
  at: string;
  body: unknown;
}

export const DEFAULT_REQUEST_LOG_SIZE = 100;

export class RequestLog {
  private readonly byModel = new Map<string, LoggedRequest[]>();

  constructor(private readonly perModel: number = DEFAULT_REQUEST_LOG_SIZE) {
    if (!Number.isInteger(perModel) || perModel < 0) {
      throw new Error(`requestLogSize must be a non-negative integer, got ${perModel}`);
    }
  }

  /** Keeps a body under its model name; the oldest goes once a model has `perModel`. */
  add(route: string, body: unknown): void {
    if (this.perModel === 0) return;
    const model =
      typeof body === 'object' && body !== null && typeof (body as { model?: unknown }).model === 'string'
        ? (body as { model: string }).model.slice(0, 200)
        : '';
    let list = this.byModel.get(model);
    if (!list) {
      list = [];
      this.byModel.set(model, list);
    }
    list.push({ route, model, at: new Date().toISOString(), body });
    if (list.length > this.perModel) list.shift();
  }

  /** One model's bodies (or every model's, in model-name order), oldest first. */
  list(model?: string): LoggedRequest[] {
    if (model !== undefined) return [...(this.byModel.get(model) ?? [])];
    return [...this.byModel.keys()].sort().flatMap((m) => this.byModel.get(m)!);
  }

  clear(): void {
    this.byModel.clear();
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

function isLoopback(request: FastifyRequest): boolean {
  return LOOPBACK.test(request.socket.remoteAddress ?? '');
}

export function registerRequestLogRoutes(app: FastifyInstance, log: RequestLog): void {
  const refuse = () =>
    openAiError('the request log is served to loopback clients only: it holds prompts', {
      type: 'permission_error',
      code: 'loopback_only',
    });
  app.get<{ Querystring: { model?: string; limit?: string } }>('/admin/requests', async (request, reply) => {
    if (!isLoopback(request)) return reply.code(403).send(refuse());
    const { model, limit } = request.query;
    const n = limit === undefined ? Infinity : Number(limit);
    if (!(n >= 0) || (n !== Infinity && !Number.isInteger(n))) {
      return reply
        .code(400)
        .send(openAiError('limit must be a non-negative integer', { param: 'limit', code: 'invalid_value' }));
    }
    const all = log.list(model);
    return { requests: n === Infinity ? all : all.slice(Math.max(0, all.length - n)) };
  });
  app.delete('/admin/requests', async (request, reply) => {
    if (!isLoopback(request)) return reply.code(403).send(refuse());
    log.clear();
    return { ok: true };
  });
}
