/**
 * Requests the gateway sends to itself. The Anthropic door (/v1/messages) is an adapter: it hands
 * its translated request to the chat-completions route in-process (Fastify's inject), so that the
 * route's validation, model mapping, idempotency and outage handling run as they are, not as a
 * copy. Such a request is part of the caller's request, not a second one: the access log leaves
 * it out. It is recognised by a header carrying a random value made per gateway, which never
 * leaves the process, so a caller cannot mark its own requests as internal to hide them.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const INTERNAL_HEADER = 'x-cascade-internal-request';

export interface InternalRequests {
  /** The header to send on a request to this gateway that is part of another. */
  header(): Record<string, string>;
  is(req: FastifyRequest): boolean;
}

export function internalRequests(): InternalRequests {
  const value = randomBytes(24).toString('hex');
  const expected = Buffer.from(value);
  return {
    header: () => ({ [INTERNAL_HEADER]: value }),
    is(req) {
      const got = req.headers[INTERNAL_HEADER];
      if (typeof got !== 'string') return false;
      const given = Buffer.from(got);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
