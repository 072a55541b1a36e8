/**
 * A codec server: Temporal's remote codec protocol over HTTP, so the Web UI and the `temporal`
 * CLI can show the payloads an encrypting codec hides (docs/encryption.md).
 *
 *   POST /encode, POST /decode   body and reply { payloads: [{ metadata: { k: base64 }, data: base64 }] }
 *   OPTIONS *                    CORS preflight for the UI's origin(s)
 *   GET /healthz                 200 "ok" (no auth, reveals nothing)
 *
 * Whoever can call /decode can read every prompt and answer, so: it listens on 127.0.0.1 by
 * default, answers browsers only from the allowed origins (the UI's), and with a token requires
 * `Authorization: Bearer <token>` (compared in constant time) on /encode and /decode. It refuses
 * to listen anywhere but loopback without a token (`CodecServerConfigError`): off loopback,
 * anyone who reaches the port could decrypt every history.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PayloadCodec } from '@temporalio/common';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { PayloadDecryptionError } from './aes-gcm-codec';
import { payloadsFromJson, PayloadsJsonError, payloadsToJson } from './payload-json';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Interface to listen on (default 127.0.0.1: only this machine). */
  host?: string;
  /** TCP port (0 = any free port; default 0). */
  port?: number;
  /** Browser origins allowed to call it: the Temporal UI's (default http://localhost:8233). */
  corsOrigins?: string[];
  /** Require `Authorization: Bearer <token>` on /encode and /decode (default: no auth). */
  token?: string;
  /** Largest request body in bytes (default 8 MiB; a payload is at most 2 MB by default). */
  bodyLimit?: number;
  /** Fastify request logging (default false). Bodies are never logged. */
  logger?: boolean;
}

export interface CodecServer {
  /** e.g. http://127.0.0.1:8789: what `--codec-endpoint` and the UI's codec endpoint take. */
  url: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

export const DEFAULT_CORS_ORIGINS = ['http://localhost:8233'];

/** A codec server that must not start as configured (off loopback without a token). */
export class CodecServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecServerConfigError';
  }
}

/** Addresses only this machine reaches: localhost, 127.0.0.0/8, ::1 (and 127.x mapped into IPv6). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^127(?:\.\d{1,3}){3}$/.test(h) ||
    /^::ffff:127(?:\.\d{1,3}){3}$/.test(h)
  );
}

/** Throws when the options would serve /decode beyond this machine without a token. */
export function assertSafeCodecListen(host: string, token: string | undefined): void {
  if ((token === undefined || token === '') && !isLoopbackHost(host)) {
    throw new CodecServerConfigError(
      `refusing to listen on ${host} without a token: anyone who reaches it could decrypt every history. ` +
        'Set CASCADE_CODEC_SERVER_TOKEN (openssl rand -hex 32), or listen on 127.0.0.1',
    );
  }
}
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

/** The headers the Temporal UI sends to a codec endpoint. */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';

/** Builds the server without listening (tests use `app.inject`). */
export function buildCodecServer(opts: CodecServerOptions): FastifyInstance {
  const origins = new Set((opts.corsOrigins ?? DEFAULT_CORS_ORIGINS).map(normaliseOrigin));
  const expected = opts.token === undefined ? undefined : digest(`Bearer ${opts.token}`);
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      // A browser page: only the allowed origins may call, and only they get CORS headers.
      if (!origins.has(normaliseOrigin(origin))) {
        return reply.code(403).send({ error: `origin ${origin} is not allowed (see --cors-origin)` });
      }
      reply.header('Access-Control-Allow-Origin', origin);
      reply.header('Access-Control-Allow-Credentials', 'true');
      reply.header('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      reply.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
      reply.header('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      reply.header('Access-Control-Max-Age', '600');
      return reply.code(204).send();
    }
    if (
      expected !== undefined &&
      req.url.split('?')[0] !== '/healthz' &&
      !authorised(req.headers.authorization, expected)
    ) {
      reply.header('WWW-Authenticate', 'Bearer realm="cascade codec server"');
      return reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });
    }
  });

  app.get('/healthz', async () => 'ok');
  app.post('/encode', async (req) => payloadsToJson(await opts.codec.encode(payloadsFromJson(req.body))));
  app.post('/decode', async (req) => payloadsToJson(await opts.codec.decode(payloadsFromJson(req.body))));

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof PayloadsJsonError || err instanceof PayloadDecryptionError) {
      return reply.code(400).send({ error: err.message });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .code(413)
        .send({ error: `request body larger than ${opts.bodyLimit ?? DEFAULT_BODY_LIMIT} bytes` });
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      // Malformed JSON, an empty body, a wrong content type: Fastify's own message says which.
      return reply.code(err.statusCode).send({ error: `malformed request: ${err.message}` });
    }
    reply.log.error(err);
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${req.url}; use POST /encode or POST /decode` }),
  );
  return app;
}

export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const host = opts.host ?? '127.0.0.1';
  assertSafeCodecListen(host, opts.token);
  const app = buildCodecServer(opts);
  await app.listen({ host, port: opts.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (opts.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, port, app, close: () => app.close() };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time comparison (of SHA-256 digests, so lengths never differ). */
function authorised(header: string | undefined, expected: Buffer): boolean {
  return header !== undefined && timingSafeEqual(digest(header), expected);
}

/** `http://localhost:8233/` and `HTTP://LOCALHOST:8233` are the origin the browser sends. */
function normaliseOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}
