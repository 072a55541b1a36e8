/**
 * POST /v1/feedback `{ request_id, score, label?, key? }`: a quality signal for one of the
 * caller's own requests, to the outcome ledger (idempotent on `key`). `request_id` is the id the
 * completion's x-cascade-request-id gave, or the caller's bare Idempotency-Key.
 */
import type { FastifyInstance } from 'fastify';
import { UnknownRequestError } from '../../request/ledger/types';
import type { GatewayContext } from './context';
import { GatewayError, notFound } from './errors';
import { callerRequestId } from './idempotency';
import { parseFeedback } from './validation';

export function registerFeedback(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/feedback', async (req, reply) => {
    const body = parseFeedback(req.body);
    const requestId = callerRequestId(req.caller!.tokenId, body.request_id);
    if (!ctx.cascade.ledger) {
      throw new GatewayError(
        503,
        'this gateway has no outcome ledger to record feedback in',
        'service_unavailable',
        'no_ledger',
      );
    }
    try {
      const row = await ctx.cascade.feedback(requestId, {
        score: body.score,
        ...(body.label !== undefined ? { label: body.label } : {}),
        ...(body.key !== undefined ? { key: body.key } : {}),
        source: 'gateway',
      });
      return reply.status(200).send({
        object: 'feedback',
        id: row.id,
        request_id: requestId,
        score: row.score,
        label: row.label ?? null,
        key: row.key ?? null,
      });
    } catch (err) {
      if (err instanceof UnknownRequestError) {
        throw notFound(
          `no recorded request "${requestId}" (a request is recorded when its workflow finishes)`,
          'request_not_found',
          'request_id',
        );
      }
      throw err;
    }
  });
}
