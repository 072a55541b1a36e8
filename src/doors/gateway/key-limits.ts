/**
 * Per-key limits of the gateway (the config's `gateway.limits`, by token id; docs/gateway.md):
 *
 * - requests per minute: @fastify/rate-limit, keyed by the caller's token id, on the routes that
 *   start work (chat completions; the Anthropic door goes through it). Its window opens with the
 *   key's first request and lasts a minute.
 * - tokens per minute: what the key's answered requests used (every call's input and output
 *   tokens, from the trace), in the same kind of window. A request that finds the key's window
 *   full is refused before it starts; the request that fills it is not cut short, since its
 *   tokens are known only once it has run.
 *
 * Either refusal is a 429 `rate_limit_exceeded` with Retry-After (seconds until the window
 * closes) and `x-should-retry: true`: nothing was started, and the SDKs wait that long and retry.
 * Counts live in this process: behind several gateway replicas each enforces its own share.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CascadeConfig } from '../../request/config/schema';
import type { Trace } from '../../request/router/trace';
import { GatewayError } from './errors';

const WINDOW_MS = 60_000;

type Limits = CascadeConfig['gateway']['limits'];
interface KeyLimit {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

export interface KeyLimits {
  /** Refuses a request when its key has used its tokens for this minute. */
  checkTokens(tokenId: string, now?: number): void;
  /** Counts an answered request's tokens against its key. */
  spendTokens(tokenId: string, trace: Trace, now?: number): void;
}

export function rateLimited(limit: 'requests' | 'tokens', max: number, retryAfterS: number): GatewayError {
  return new GatewayError(
    429,
    `rate limit reached: this key may use ${max} ${limit} a minute; retry after ${retryAfterS} s`,
    'rate_limit_error',
    'rate_limit_exceeded',
    null,
    { 'retry-after': String(retryAfterS) },
    true,
  );
}

function limitOf(limits: Limits, tokenId: string): KeyLimit | undefined {
  return Object.hasOwn(limits.keys, tokenId) ? limits.keys[tokenId] : limits.default;
}

/** The tokens-per-minute side (requests per minute is registerRequestLimit's). */
export function keyLimits(limits: Limits): KeyLimits {
  const windows = new Map<string, { opened: number; tokens: number }>();
  const current = (tokenId: string, now: number) => {
    const w = windows.get(tokenId);
    if (w && now - w.opened < WINDOW_MS) return w;
    const fresh = { opened: now, tokens: 0 };
    windows.set(tokenId, fresh);
    return fresh;
  };
  return {
    checkTokens(tokenId, now = Date.now()) {
      const max = limitOf(limits, tokenId)?.tokensPerMinute;
      if (max === undefined) return;
      const w = current(tokenId, now);
      if (w.tokens >= max) {
        throw rateLimited('tokens', max, Math.max(1, Math.ceil((w.opened + WINDOW_MS - now) / 1000)));
      }
    },
    spendTokens(tokenId, trace, now = Date.now()) {
      if (limitOf(limits, tokenId)?.tokensPerMinute === undefined) return;
      const used = trace.calls.reduce(
        (n, c) => n + c.attempts.reduce((m, a) => m + a.tokensIn + a.tokensOut, 0),
        0,
      );
      current(tokenId, now).tokens += used;
    },
  };
}

/**
 * Requests per minute, per key, on the routes that start work. Keys without a limit are not
 * counted at all; internal requests (the Anthropic door's in-process chat completion) are the
 * outer request's, counted where they start work.
 */
export async function registerRequestLimit(
  app: FastifyInstance,
  limits: Limits,
  isStart: (req: FastifyRequest) => boolean,
): Promise<void> {
  const max = (req: FastifyRequest) => limitOf(limits, req.caller?.tokenId ?? '')?.requestsPerMinute;
  await app.register(rateLimit, {
    // After authentication (an onRequest hook): the key is the caller's token id.
    hook: 'preHandler',
    timeWindow: WINDOW_MS,
    keyGenerator: (req) => req.caller?.tokenId ?? '',
    allowList: (req) => !isStart(req) || req.caller === null || max(req) === undefined,
    max: (req) => max(req) ?? Number.MAX_SAFE_INTEGER,
    // The 429 is the gateway's own (its shape per door, x-should-retry: true, Retry-After).
    addHeaders: {
      'x-ratelimit-limit': true,
      'x-ratelimit-remaining': true,
      'x-ratelimit-reset': true,
      'retry-after': false,
    },
    errorResponseBuilder: (req, ctx) =>
      rateLimited('requests', ctx.max, Math.max(1, Math.ceil(ctx.ttl / 1000))),
  });
}
