/**
 * Idempotency. A request's workflow id is `<token-id>:<key>`, the key from `Idempotency-Key`,
 * else `X-Request-Id`, else a random one: callers cannot see or collide with each other's ids.
 *
 * The SHA-256 of the canonical body (keys sorted; `stream` and `stream_options` left out: they
 * change how the answer is delivered, not the answer) is stored in the workflow's memo at start,
 * so every gateway process sees it, and read back with describe when the id is already taken:
 * the same body joins the first run (its answer, nothing new started, nothing billed twice); a
 * different body is a 409.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { canonicalJson } from '../../request/router/canonical-json';
import { badRequest, GatewayError } from './errors';

export const MEMO_BODY_HASH = 'cascadeGatewayBodySha256';
export const MEMO_TOKEN_ID = 'cascadeGatewayTokenId';

/** Fields that change delivery, not the answer: a streamed retry of a plain request joins it. */
const DELIVERY_FIELDS = new Set(['stream', 'stream_options']);

export function bodyHash(body: Record<string, unknown>): string {
  const kept = Object.fromEntries(Object.entries(body).filter(([k]) => !DELIVERY_FIELDS.has(k)));
  return createHash('sha256').update(canonicalJson(kept)).digest('hex');
}

const KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * The caller's key for this request (and whether the caller gave one). A key that is the
 * caller's own full request id (`<token-id>:<key>`, as x-cascade-request-id gave it) names that
 * request, as it does for cancel and feedback: repeating a request with the id an error gave
 * joins it instead of starting `<token-id>:<token-id>:<key>`.
 */
export function requestKey(
  headers: Record<string, string | string[] | undefined>,
  tokenId?: string,
): {
  key: string;
  given: boolean;
} {
  for (const name of ['idempotency-key', 'x-request-id']) {
    const v = headers[name];
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v[0]! : v;
    if (!KEY.test(value)) {
      throw badRequest(
        `the ${name} header must be 1-128 printable characters without spaces`,
        name,
        'invalid_idempotency_key',
      );
    }
    const own = tokenId !== undefined && value.startsWith(`${tokenId}:`) && value.length > tokenId.length + 1;
    return { key: own ? value.slice(tokenId.length + 1) : value, given: true };
  }
  return { key: `gw-${randomUUID()}`, given: false };
}

export function scopedRequestId(tokenId: string, key: string): string {
  return `${tokenId}:${key}`;
}

/**
 * A request id as a caller names it in a later call (cancel, feedback): its own full id
 * (`<token-id>:<key>`, as x-cascade-request-id gave it), or the bare key. Anything else is
 * scoped under the caller's token id, so it can only ever reach the caller's own requests.
 */
export function callerRequestId(tokenId: string, id: string): string {
  return id.startsWith(`${tokenId}:`) ? id : scopedRequestId(tokenId, id);
}

/** The id is taken: joins only when the first run was started by the gateway with the same body. */
export async function assertSameBody(handle: WorkflowHandle, hash: string, requestId: string): Promise<void> {
  const desc = await handle.describe();
  const stored = desc.memo?.[MEMO_BODY_HASH];
  if (stored === hash) return;
  throw new GatewayError(
    409,
    stored === undefined
      ? `request id "${requestId}" is already in use by a request not started through the gateway`
      : `Idempotency-Key reused with a different request body (request "${requestId}"); use a new key for a new request`,
    'conflict_error',
    'idempotency_key_reused',
    'Idempotency-Key',
    { 'x-cascade-request-id': requestId },
  );
}
