/**
 * The gateway's JSON body parser, in place of Fastify's: every body is checked, in time linear
 * in its size and without recursion, before anything recursive (zod, the canonical-JSON hash,
 * Ajv compiling a response schema) or anything that starts a workflow sees it:
 *
 * - the bytes are UTF-8 (a body that is not is a 400 `invalid_encoding`, not text with
 *   replacement characters that a workflow would carry);
 * - the JSON parses (V8's JSON.parse keeps its own stack: any depth parses);
 * - it nests at most MAX_JSON_DEPTH arrays and objects (a JSON Schema 2,500 levels deep once
 *   overflowed the stack: a 500 "Maximum call stack size exceeded");
 * - no string or key holds a lone UTF-16 surrogate (`"\ud800"` is valid JSON but not text: it
 *   cannot be encoded as UTF-8 for a model, a history or the ledger);
 * - no key is `__proto__`, and no `constructor` holds a `prototype` (as Fastify's own parser
 *   refused them).
 *
 * An empty body is no body on routes that take none (`DELETE /v1/requests/:id` sent with
 * `Content-Type: application/json`), and a 400 `invalid_json` on those that need one.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, GatewayError } from './errors';
import { paramPath } from './param-path';

/**
 * The deepest nesting of arrays and objects a body may have (the body itself is level 1). A
 * chat completion's own structure is 5 deep (body, messages, a message, its content parts, a
 * part); each level of a response schema's `properties` adds 2 (OpenAI's structured outputs
 * allow 10 such levels; 64 leaves room for 29).
 */
export const MAX_JSON_DEPTH = 64;

/** A body whose media type's charset is not UTF-8 (JSON is UTF-8: RFC 8259). */
const UTF8_CHARSET = /^(?:utf-?8)$/i;

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (req: FastifyRequest, body: Buffer | string, done: (err: Error | null, body?: unknown) => void) => {
      try {
        done(null, parseJsonBody(req, typeof body === 'string' ? Buffer.from(body) : body));
      } catch (err) {
        done(err as Error);
      }
    },
  );
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** One media-type parameter: `name=token` or `name="quoted string"` (RFC 9110, 5.6.6). */
const PARAMETER = new RegExp(`^(${TOKEN})=(?:(${TOKEN})|"((?:[^"\\\\]|\\\\.)*)")$`);

/** The charset a Content-Type names (lower case), or undefined; throws a 415 on malformed parameters. */
function charsetOf(contentType: string): string | undefined {
  let charset: string | undefined;
  for (const part of contentType.split(';').slice(1)) {
    const p = part.trim();
    if (p === '') continue;
    const m = PARAMETER.exec(p);
    if (!m) {
      throw new GatewayError(
        415,
        `malformed Content-Type parameter ${JSON.stringify(p.slice(0, 40))}: send application/json (optionally with charset=utf-8)`,
        'invalid_request_error',
        'unsupported_media_type',
      );
    }
    if (m[1]!.toLowerCase() === 'charset') charset = (m[2] ?? m[3] ?? '').toLowerCase();
  }
  return charset;
}

function parseJsonBody(req: FastifyRequest, raw: Buffer): unknown {
  const charset = charsetOf(req.headers['content-type'] ?? '');
  if (charset !== undefined && !UTF8_CHARSET.test(charset)) {
    throw new GatewayError(
      415,
      `unsupported charset "${charset}": send the body as application/json in UTF-8`,
      'invalid_request_error',
      'unsupported_media_type',
    );
  }
  if (raw.length === 0) {
    if (req.method === 'POST')
      throw badRequest('the request body is empty: send a JSON object', null, 'invalid_json');
    return undefined; // DELETE and friends: no body is no body, whatever the content type says
  }
  if (!isUtf8(raw)) {
    throw badRequest(
      `the request body is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(raw)})`,
      null,
      'invalid_encoding',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`, null, 'invalid_json');
  }
  checkJsonValue(value);
  return value;
}

/** The offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (need === 0 || i + need >= n) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (b[i + 1]! < lo || b[i + 1]! > hi) return i;
    for (let k = 2; k <= need; k++) if (b[i + k]! < 0x80 || b[i + k]! > 0xbf) return i;
    i += need + 1;
  }
  return -1;
}

/** The index of the first lone surrogate in `s`, or -1. */
function loneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

interface Frame {
  value: Record<string, unknown> | unknown[];
  keys: string[] | null;
  next: number;
}

/**
 * Checks a parsed body without recursion (an explicit stack no deeper than MAX_JSON_DEPTH):
 * depth, lone surrogates in keys and strings, prototype keys. Throws a 400 naming the field.
 */
export function checkJsonValue(root: unknown): void {
  const path: (string | number)[] = [];
  const where = (extra?: string | number) => paramPath(extra === undefined ? path : [...path, extra]);
  const checkString = (s: string, at: string | null, what: string) => {
    const i = loneSurrogate(s);
    if (i >= 0) {
      throw badRequest(
        `${at ?? 'the request body'}: ${what} holds a lone UTF-16 surrogate (\\u${s.charCodeAt(i).toString(16)} at index ${i}), which is not text: send valid Unicode`,
        at,
        'invalid_encoding',
      );
    }
  };
  if (typeof root === 'string') checkString(root, null, 'the string');
  if (root === null || typeof root !== 'object') return;
  const stack: Frame[] = [frame(root)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const length = top.keys ? top.keys.length : (top.value as unknown[]).length;
    if (top.next >= length) {
      stack.pop();
      path.pop();
      continue;
    }
    const i = top.next++;
    let child: unknown;
    let step: string | number;
    if (top.keys) {
      const key = top.keys[i]!;
      checkString(key, where(), `the key ${JSON.stringify(key.slice(0, 40))}`);
      if (key === '__proto__') {
        throw badRequest(`${where(key)}: the key "__proto__" is not accepted`, where(key), 'invalid_body');
      }
      child = (top.value as Record<string, unknown>)[key];
      if (
        key === 'constructor' &&
        child !== null &&
        typeof child === 'object' &&
        Object.hasOwn(child, 'prototype')
      ) {
        throw badRequest(
          `${where(key)}: a "constructor" with a "prototype" is not accepted`,
          where(key),
          'invalid_body',
        );
      }
      step = key;
    } else {
      child = (top.value as unknown[])[i];
      step = i;
    }
    if (typeof child === 'string') checkString(child, where(step), 'the string');
    else if (child !== null && typeof child === 'object') {
      if (stack.length >= MAX_JSON_DEPTH) {
        const field = paramPath([...path, step].slice(0, 3));
        throw badRequest(
          `${field ?? 'the request body'} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep (counting the body as 1): flatten it`,
          field,
          'nesting_too_deep',
        );
      }
      path.push(step);
      stack.push(frame(child));
    }
  }
}

function frame(value: object): Frame {
  return Array.isArray(value)
    ? { value, keys: null, next: 0 }
    : { value: value as Record<string, unknown>, keys: Object.keys(value), next: 0 };
}
