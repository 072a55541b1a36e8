/**
 * DELETE /v1/requests/:id: cancels one of the caller's own requests (the id is scoped to the
 * caller's token id, so another caller's request is never reached: it is simply not found).
 * 200 when cancellation was requested (or the request was already cancelled), 409 when it had
 * already finished, 404 when the caller has no such request.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from './context';
import { GatewayError, notFound } from './errors';
import { callerRequestId } from './idempotency';

export function registerCancel(app: FastifyInstance, ctx: GatewayContext): void {
  app.delete<{ Params: { id: string } }>('/v1/requests/:id', async (req) => {
    const requestId = callerRequestId(req.caller!.tokenId, req.params.id);
    let outcome;
    try {
      outcome = await ctx.cascade.cancel(requestId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw notFound(`no request "${requestId}"`, 'request_not_found', 'id');
      }
      throw err;
    }
    const cancelled = outcome.requested || outcome.status === 'CANCELLED';
    if (!cancelled) {
      throw new GatewayError(
        409,
        `request "${requestId}" already finished (${outcome.status}); nothing to cancel`,
        'conflict_error',
        'request_finished',
        'id',
      );
    }
    return {
      id: requestId,
      object: 'cascade.request.cancellation',
      requested: outcome.requested,
      status: outcome.requested ? 'CANCEL_REQUESTED' : outcome.status,
    };
  });
}
