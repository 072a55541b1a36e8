/**
 * Maps any failure of a model call to the `ProviderErrorDetails` the workflow decides retries from
 * (docs/architecture.md, "The steps of a request"). Works on what an error carries (status, headers, body, code, cause
 * chain) rather than on one SDK's classes, so the same rules hold for every provider client.
 *
 * | failure                                                        | class              |
 * |----------------------------------------------------------------|--------------------|
 * | HTTP 429                                                       | rate_limited       |
 * | HTTP 5xx (Anthropic's 529 overloaded included)                 | server_error       |
 * | HTTP 408, our per-attempt deadline, SDK/undici/socket timeouts | timeout            |
 * | refused / reset / hang-up / DNS / body cut off mid-way         | connection         |
 * | 400/413/422 whose code or message says the context is too long | context_length     |
 * | other 4xx (400, 405, 409, 413, 415, 422, ...)                  | bad_request        |
 * | HTTP 404                                                       | not_found          |
 * | HTTP 401/403, a port fetch refuses to use                      | config_error       |
 * | 2xx whose body is not JSON, or has no choices / no content     | malformed_response |
 * | anything else without an HTTP response                         | connection         |
 *
 * A caller's deliberate abort is not a failure to classify: the provider rethrows it unchanged.
 * Every message is scrubbed of the API key and of anything shaped like a credential.
 */
import { type ErrorClass, type ProviderErrorDetails, isRetryable } from './types';
import { type HeaderSource, retryAfterMs } from './retry-after';

/**
 * Thrown by a provider when an endpoint answered 2xx but the body is not a usable completion.
 * `billed` carries usage the body did report, since the endpoint may still charge for it.
 */
export class MalformedResponseError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly billed?: { tokensIn: number; tokensOut: number; costUsd: number },
  ) {
    super(message);
    this.name = 'MalformedResponseError';
  }
}

export interface FailureContext {
  /** The configured model id, named in every message. */
  modelId: string;
  /** Where the call went (credentials and query are stripped before it is shown). */
  baseUrl?: string;
  latencyMs: number;
  /** "Now" for Retry-After HTTP dates: a parameter, so classification has no hidden clock. */
  nowMs: number;
  /** The provider's own per-attempt deadline fired: whatever was thrown is a consequence of it. */
  timedOut?: boolean;
  timeoutMs?: number;
  /** Status and headers of the response, when one arrived (errors thrown while reading a body carry neither). */
  responseStatus?: number;
  responseHeaders?: HeaderSource;
  /** Raw error body, for endpoints whose error JSON is not OpenAI-shaped (the SDK drops its message). */
  responseBody?: string;
  /** Values that must never appear in a message (the API key). */
  secrets?: readonly string[];
}

/** Longest endpoint-supplied text kept in a message: enough to diagnose, not a whole HTML page. */
const MAX_DETAIL_CHARS = 300;

// Signals of "the prompt does not fit": OpenAI's code, and the wording of OpenAI, vLLM, llama.cpp,
// TGI, LiteLLM and Anthropic-style proxies.
const CONTEXT_LENGTH_CODES = new Set([
  'context_length_exceeded',
  'exceed_context_size_error',
  'string_above_max_length',
]);
const CONTEXT_LENGTH_TEXT =
  /maximum context length|context[ _-]length|context window|context size|too many tokens|prompt is too long|input is too long|maximum input length/i;

/** Whether a 4xx error's code or message says the request exceeds the model's context. */
export function isContextLengthError(
  code: string | null | undefined,
  message: string | null | undefined,
): boolean {
  if (code && CONTEXT_LENGTH_CODES.has(code)) return true;
  return !!message && CONTEXT_LENGTH_TEXT.test(message);
}

/** The error class of an HTTP status (and, for 4xx, the body's code and message). */
export function classifyStatus(status: number, code?: string | null, message?: string | null): ErrorClass {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  if (status === 401 || status === 403) return 'config_error';
  if (status === 404) return 'not_found';
  if ((status === 400 || status === 413 || status === 422) && isContextLengthError(code, message)) {
    return 'context_length';
  }
  if (status >= 400) return 'bad_request';
  // A 1xx/3xx that fetch did not resolve, or a 2xx reported as a failure: the body is unusable.
  return 'malformed_response';
}

/** Replaces the given secrets and anything that looks like a bearer token or API key. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    // Short values (a placeholder such as "unused") would redact ordinary words.
    if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(/\b(Bearer|Basic)\s+[^\s"',;]+/gi, '$1 [redacted]')
    .replace(/\b(authorization|x-api-key|api[-_]?key)(["']?\s*[:=]\s*["']?)[^\s"',;}]+/gi, '$1$2[redacted]')
    .replace(/\bsk-[A-Za-z0-9_-]{8,}/g, 'sk-[redacted]');
}

/** An endpoint URL fit for a message: no userinfo, query or fragment (they can hold credentials). */
export function displayEndpoint(baseUrl: string | undefined): string | undefined {
  if (!baseUrl) return undefined;
  try {
    const u = new URL(baseUrl);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}`;
  } catch {
    return undefined;
  }
}

/** Whether `err` is an abort (DOM AbortError, the SDK's APIUserAbortError, or a TimeoutError). */
export function isAbortError(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  const ctor = (err as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return name === 'AbortError' || name === 'TimeoutError' || ctor === 'APIUserAbortError';
}

// --- reading what an error carries ------------------------------------------------------------

interface Facts {
  status: number | null;
  headers: HeaderSource;
  code: string | null;
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Message and code from an error body in any of the common shapes. */
function fromBody(body: unknown): { message?: string; code?: string } {
  if (typeof body === 'string') return { message: body };
  if (!isObj(body)) return {};
  // OpenAI: { error: { message, code } }; Anthropic: { type: "error", error: { type, message } }
  // (its SDK keeps that whole body as the error's `error`, so it arrives wrapped once more);
  // Ollama/TGI: { error: "..." }; vLLM (older): top-level { message, code: 400 }; FastAPI: { detail }.
  const inner = body['error'];
  if (isObj(inner) && isObj(inner['error'])) return fromBody(inner);
  if (isObj(inner)) return { message: str(inner['message']), code: str(inner['code']) ?? str(inner['type']) };
  const message = str(inner) ?? str(body['message']) ?? str(body['detail']);
  return { message, code: str(body['code']) ?? str(body['type']) ?? str(body['error_type']) };
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function facts(err: unknown, ctx: FailureContext): Facts {
  const e: Obj = isObj(err) ? err : {};
  const rawStatus = e['status'];
  const status =
    typeof rawStatus === 'number' && rawStatus >= 100 && rawStatus <= 599
      ? rawStatus
      : (ctx.responseStatus ?? null);
  // The SDK keeps `error` (the body's `error` member) and `code`; when the body was not
  // OpenAI-shaped it keeps neither, so fall back to the raw body the provider captured.
  const sdkBody = 'error' in e && e['error'] !== undefined ? { error: e['error'] } : undefined;
  const body = fromBody(sdkBody ?? parseJson(ctx.responseBody));
  const code = str(e['code']) ?? body.code ?? null;
  const message = body.message ?? (err instanceof Error ? err.message : String(err));
  const headers = (isObj(e['headers']) ? (e['headers'] as HeaderSource) : undefined) ?? ctx.responseHeaders;
  return { status, headers, code, message };
}

/** Errors and their causes (`cause`, AggregateError's `errors`), breadth-first, bounded. */
function chain(err: unknown): Obj[] {
  const out: Obj[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 16) {
    const next = queue.shift();
    if (!isObj(next) || out.includes(next)) continue;
    out.push(next);
    queue.push(next['cause']);
    if (Array.isArray(next['errors'])) queue.push(...(next['errors'] as unknown[]));
  }
  return out;
}

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const CONNECTION_TEXT = /socket hang up|terminated|other side closed|fetch failed|connection error/i;

function transportClass(err: unknown): { errorClass: ErrorClass; reason: string } | null {
  const links = chain(err);
  // fetch refuses some ports outright (the WHATWG "bad port" list, e.g. 6000): no retry can help.
  if (links.some((l) => l['message'] === 'bad port')) {
    return {
      errorClass: 'config_error',
      reason: 'fetch refuses to connect to this port (WHATWG bad port list)',
    };
  }
  for (const link of links) {
    const code = str(link['code']);
    const ctor = (link.constructor as { name?: string } | undefined)?.name;
    if ((code && TIMEOUT_CODES.has(code)) || ctor === 'APIConnectionTimeoutError' || isAbortError(link)) {
      return { errorClass: 'timeout', reason: code ?? 'request timed out' };
    }
  }
  for (const link of links) {
    const code = str(link['code']);
    if (code && CONNECTION_CODES.has(code)) return { errorClass: 'connection', reason: describeLinks(links) };
  }
  for (const link of links) {
    const ctor = (link.constructor as { name?: string } | undefined)?.name;
    if (ctor === 'APIConnectionError' || CONNECTION_TEXT.test(String(link['message'] ?? ''))) {
      return { errorClass: 'connection', reason: describeLinks(links) };
    }
  }
  return null;
}

/** "fetch failed <- other side closed (UND_ERR_SOCKET)": the useful part of a cause chain. */
function describeLinks(links: Obj[]): string {
  return links
    .map((l) => {
      const message = str(l['message']);
      const code = str(l['code']);
      return message && code && !message.includes(code) ? `${message} (${code})` : (message ?? code);
    })
    .filter((s): s is string => !!s)
    .filter((s, i, all) => all.indexOf(s) === i)
    .join(' <- ');
}

// --- the classification ----------------------------------------------------------------------

const WHAT: Record<ErrorClass, string> = {
  rate_limited: 'rate limited',
  server_error: 'endpoint error',
  timeout: 'timed out',
  connection: 'connection failed',
  malformed_response: 'malformed response',
  bad_request: 'request rejected',
  not_found: 'not found',
  context_length: 'prompt exceeds the model context length',
  config_error: 'credentials rejected (check the key named by apiKeyEnv and its permissions)',
  endpoint_unavailable: 'unavailable (every endpoint circuit open)',
};

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL_CHARS ? `${oneLine.slice(0, MAX_DETAIL_CHARS)}...` : oneLine;
}

/** Classifies a failed call. The provider handles a caller's deliberate abort before calling this. */
export function classifyFailure(err: unknown, ctx: FailureContext): ProviderErrorDetails {
  const f = facts(err, ctx);
  let errorClass: ErrorClass;
  let detail: string;
  let status = f.status;
  let billed = { tokensIn: 0, tokensOut: 0, costUsd: 0 };

  if (err instanceof MalformedResponseError) {
    errorClass = 'malformed_response';
    detail = err.message;
    status = err.status;
    billed = err.billed ?? billed;
  } else if (ctx.timedOut) {
    // Our deadline covers the whole attempt, body included (the SDK's own timeout stops at the
    // headers), so once it fired, whatever the SDK threw is just the abort it caused.
    errorClass = 'timeout';
    detail = `no complete response within ${ctx.timeoutMs ?? '?'} ms (timeoutMs)`;
  } else if (f.status !== null && (f.status < 200 || f.status >= 300)) {
    errorClass = classifyStatus(f.status, f.code, f.message);
    detail = f.code ? `${f.message} (code ${f.code})` : f.message;
  } else if (err instanceof SyntaxError) {
    // Only the success body is parsed strictly (error bodies are parsed leniently by the SDK).
    errorClass = 'malformed_response';
    detail = `body is not valid JSON: ${err.message}`;
  } else {
    const transport = transportClass(err);
    errorClass = transport?.errorClass ?? 'connection';
    detail =
      transport?.reason ??
      `unrecognised failure before a usable response, treated as transient: ${f.message || String(err)}`;
  }

  // Retry-After is honoured on every response that asks for it, 5xx (503s often send it) included.
  const wait =
    errorClass === 'rate_limited' || errorClass === 'server_error'
      ? retryAfterMs(f.headers, ctx.nowMs)
      : null;

  const where = displayEndpoint(ctx.baseUrl);
  const parts = [
    `model "${ctx.modelId}"${where ? ` at ${where}` : ''}: ${WHAT[errorClass]}`,
    status !== null ? ` (HTTP ${status})` : '',
    detail ? `: ${truncate(detail)}` : '',
    wait !== null ? `; retry after ${wait} ms` : '',
  ];
  return {
    errorClass,
    retryable: isRetryable(errorClass),
    status,
    retryAfterMs: wait,
    latencyMs: ctx.latencyMs,
    tokensIn: billed.tokensIn,
    tokensOut: billed.tokensOut,
    costUsd: billed.costUsd,
    message: redactSecrets(parts.join(''), ctx.secrets),
  };
}
