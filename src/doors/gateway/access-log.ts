/**
 * The access log: one JSON line per HTTP request, written when its response is over (sent in
 * full, or cut off because the client left: `aborted: true`).
 *
 * It carries what an operator needs to find a request again and nothing a caller sent as a
 * secret: the route's pattern (`/v1/requests/:id`), never the URL (a query string or a path can
 * carry anything), the caller's token id, never its token or any header, and the workflow id the
 * gateway answered with (`x-cascade-request-id`). No body, prompt or answer is read.
 *
 * It listens on the raw response's `close` rather than Fastify's onResponse hook, which runs on
 * `finish` only: a streamed reply whose client left would otherwise leave no line.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { InternalRequests } from './internal-request';

export interface AccessLogLine {
  ts: string;
  /** This HTTP request's own id (a random UUID; one workflow can be asked for by several). */
  request_id: string;
  method: string;
  /** The matched route's pattern; null when no route matched (a 404 or 405). */
  route: string | null;
  /** The status sent; 499 when the client left before any was. */
  status: number;
  duration_ms: number;
  /** The workflow the request started, joined or named (its x-cascade-request-id), if any. */
  workflow_id: string | null;
  /** The caller's token id (null: not authenticated). */
  token_id: string | null;
  /** The request body's Content-Length (null when it was sent chunked or had none). */
  bytes_in: number | null;
  /** Bytes of the response body written. */
  bytes_out: number;
  /** The client left before the response was complete. */
  aborted?: true;
}

export type AccessLogWriter = (line: string) => void;

export const stdoutAccessLog: AccessLogWriter = (line) => {
  process.stdout.write(line + '\n');
};

const WORKFLOW_HEADER = 'x-cascade-request-id';
/** The status logged when the client left before any response was sent (nginx's convention). */
export const CLIENT_CLOSED = 499;

/** Byte counting and the workflow id, from what goes through the raw response. */
function watchResponse(res: ServerResponse): { bytes(): number; workflowId(): string | null } {
  let bytes = 0;
  let fromWriteHead: string | null = null;
  const count = (chunk: unknown, encoding?: unknown) => {
    if (typeof chunk === 'string') {
      bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    } else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    count(args[0], args[1]);
    return write(...args);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    if (typeof args[0] !== 'function') count(args[0], args[1]);
    return end(...args);
  }) as ServerResponse['end'];
  // A streamed reply passes its headers to writeHead, where getHeader does not see them.
  res.writeHead = ((...args: unknown[]) => {
    const headers = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null);
    if (headers && !Array.isArray(headers)) {
      for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
        if (k.toLowerCase() === WORKFLOW_HEADER && typeof v === 'string') fromWriteHead = v;
      }
    }
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
  return {
    bytes: () => bytes,
    workflowId: () => {
      const set = res.getHeader(WORKFLOW_HEADER);
      return typeof set === 'string' ? set : fromWriteHead;
    },
  };
}

function contentLength(req: FastifyRequest): number | null {
  const raw = req.headers['content-length'];
  return typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : null;
}

/**
 * Registers the log. Call it before any other onRequest hook: a request refused by auth (a 401
 * thrown in a hook) is logged too.
 */
export function registerAccessLog(
  app: FastifyInstance,
  write: AccessLogWriter,
  internal: InternalRequests,
): void {
  app.addHook('onRequest', async (req, reply) => {
    if (internal.is(req)) return;
    const started = process.hrtime.bigint();
    const res = reply.raw;
    const watched = watchResponse(res);
    res.once('close', () => {
      const line: AccessLogLine = {
        ts: new Date().toISOString(),
        request_id: req.id,
        method: req.method,
        route: req.routeOptions.url ?? null,
        // Nothing was sent to a client that left first: nginx's 499, not a 200 that never went out.
        status: res.headersSent ? res.statusCode : CLIENT_CLOSED,
        duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
        workflow_id: watched.workflowId(),
        token_id: req.caller?.tokenId ?? null,
        bytes_in: contentLength(req),
        bytes_out: watched.bytes(),
        ...(res.writableFinished ? {} : { aborted: true as const }),
      };
      try {
        write(JSON.stringify(line));
      } catch {
        // A log that cannot be written (a closed stdout) never fails the request.
      }
    });
  });
}
