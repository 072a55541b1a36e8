/**
 * Token auth. Tokens come from CASCADE_API_TOKENS as `id:token,id2:token2`: the id names
 * the caller (it scopes the caller's request ids, `<id>:<key>`, and is the tenant of its spend
 * cap); the token is a secret that never leaves this module. A presented token is compared with
 * every configured one in constant time: SHA-256 digests (equal length by construction) through
 * crypto.timingSafeEqual, with no early exit.
 *
 * A token is presented as `Authorization: Bearer <token>` (OpenAI's SDKs, Anthropic's JS SDK 1.x)
 * or as `x-api-key: <token>` (Anthropic's API convention: its Python SDK and older JS releases).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from './errors';

export interface Caller {
  /** The token's id: scopes request ids; `dev` when auth is off. */
  tokenId: string;
}

interface TokenEntry {
  id: string;
  digest: Buffer;
}

export type GatewayAuth =
  | { mode: 'tokens'; tokens: TokenEntry[] }
  /** `cascade dev` on loopback with no tokens set: every caller is `dev`. */
  | { mode: 'off'; tokenId: 'dev' };

/** Token ids go into workflow ids and headers: short, printable, no `:` (the scope separator). */
const TOKEN_ID = /^[A-Za-z0-9_.-]{1,64}$/;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class GatewayConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayConfigError';
  }
}

/** Parses `id:token,id2:token2`; the errors name the entry by position and id, never the token. */
export function parseApiTokens(spec: string): GatewayAuth {
  const tokens: TokenEntry[] = [];
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? entry : entry.slice(0, colon);
    const token = colon < 0 ? '' : entry.slice(colon + 1);
    if (!TOKEN_ID.test(id)) {
      throw new GatewayConfigError(
        `CASCADE_API_TOKENS entry ${i + 1}: the id must be 1-64 of A-Z a-z 0-9 _ . - (format id:token,id2:token2)`,
      );
    }
    if (token.length < 8) {
      throw new GatewayConfigError(
        `CASCADE_API_TOKENS entry ${i + 1} (id "${id}"): the token must be at least 8 characters`,
      );
    }
    if (tokens.some((t) => t.id === id)) {
      throw new GatewayConfigError(`CASCADE_API_TOKENS: the id "${id}" appears twice`);
    }
    tokens.push({ id, digest: digest(token) });
  });
  if (tokens.length === 0) throw new GatewayConfigError('CASCADE_API_TOKENS has no tokens');
  return { mode: 'tokens', tokens };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The auth a gateway runs with. Without tokens it refuses to start, except when `allowDevNoAuth`
 * (under `cascade dev`) and it listens on loopback only: then auth is off and `warning` says so.
 */
export function resolveGatewayAuth(opts: {
  apiTokens: string | undefined;
  host: string;
  allowDevNoAuth: boolean;
}): { auth: GatewayAuth; warning?: string } {
  if (opts.apiTokens !== undefined && opts.apiTokens.trim() !== '') {
    return { auth: parseApiTokens(opts.apiTokens) };
  }
  if (opts.allowDevNoAuth && isLoopback(opts.host)) {
    return {
      auth: { mode: 'off', tokenId: 'dev' },
      warning: `gateway auth is OFF (CASCADE_API_TOKENS is not set; dev mode on loopback ${opts.host}): every caller is "dev"`,
    };
  }
  throw new GatewayConfigError(
    'the gateway needs bearer tokens: set CASCADE_API_TOKENS=id:token[,id2:token2] ' +
      '(only `cascade dev` on a loopback address runs without them)',
  );
}

const unauthorized = (message: string, code: string) =>
  new GatewayError(401, message, 'authentication_error', code, null, {
    'www-authenticate': 'Bearer realm="cascade-router"',
  });

/** The caller of a request, from its Authorization header; throws a 401 GatewayError. */
export function authenticate(auth: GatewayAuth, header: string | string[] | undefined): Caller {
  if (auth.mode === 'off') return { tokenId: auth.tokenId };
  if (header === undefined || header === '') {
    throw unauthorized('missing API key: send it as "Authorization: Bearer <token>"', 'missing_api_key');
  }
  const value = Array.isArray(header) ? header.join(',') : header;
  const m = /^Bearer ([\x21-\x7e]+)$/i.exec(value);
  if (!m) {
    throw unauthorized(
      'malformed Authorization header: expected "Bearer <token>"',
      'invalid_authorization_header',
    );
  }
  return callerOf(auth.tokens, m[1]!);
}

/**
 * The caller of a request from `Authorization: Bearer` or `x-api-key`; throws a 401 GatewayError.
 * When both are sent, both must be valid and name the same token: a request never runs as one
 * caller while carrying another's credential.
 */
export function authenticateRequest(
  auth: GatewayAuth,
  headers: { authorization?: string | string[]; 'x-api-key'?: string | string[] },
): Caller {
  if (auth.mode === 'off') return { tokenId: auth.tokenId };
  const bearer = headers.authorization;
  const apiKey = headers['x-api-key'];
  const hasBearer = bearer !== undefined && bearer !== '';
  const hasApiKey = apiKey !== undefined && apiKey !== '';
  if (!hasApiKey) {
    if (hasBearer) return authenticate(auth, bearer);
    throw unauthorized(
      'missing API key: send it as "Authorization: Bearer <token>" or "x-api-key: <token>"',
      'missing_api_key',
    );
  }
  if (Array.isArray(apiKey) || !/^[\x21-\x7e]+$/.test(apiKey)) {
    throw unauthorized('malformed x-api-key header: expected one token', 'invalid_api_key_header');
  }
  const byKey = callerOf(auth.tokens, apiKey);
  if (hasBearer && authenticate(auth, bearer).tokenId !== byKey.tokenId) {
    throw unauthorized('Authorization and x-api-key name different API keys', 'conflicting_api_keys');
  }
  return byKey;
}

function callerOf(tokens: TokenEntry[], token: string): Caller {
  const presented = digest(token);
  let found: string | undefined;
  // Every entry is compared, so the time taken does not say which (or whether one) matched.
  for (const t of tokens) {
    if (timingSafeEqual(t.digest, presented) && found === undefined) found = t.id;
  }
  if (found === undefined) throw unauthorized('invalid API key', 'invalid_api_key');
  return { tokenId: found };
}
