/**
 * How long an endpoint asked us to wait before retrying, from its response headers.
 *
 * The workflow sleeps on a durable timer for at least this long (docs/architecture.md, "The steps of a request"), so
 * the value must be exact or absent: anything unparseable is `null`, never a guess. The current
 * time is a parameter, not a hidden clock read, so results are reproducible in tests.
 */

/** Headers as the SDK exposes them (`Headers`) or as a plain record (node:http, tests). */
export type HeaderSource = Headers | Record<string, string | string[] | undefined> | null | undefined;

export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const wanted = name.toLowerCase();
  const key = Object.keys(record).find((k) => k.toLowerCase() === wanted);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

// A non-negative decimal number, nothing else: `Number('')` is 0 and `Number('0x10')` is 16.
const DECIMAL = /^\d+(\.\d+)?$/;
// HTTP-date (RFC 9110 §5.6.7) in any of its three forms starts with a day name. Requiring it keeps
// `Date.parse`'s leniency out: it would read "1" or "soon 2030" as dates.
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i;

/** `retry-after-ms` (OpenAI's non-standard header): milliseconds, possibly fractional. */
export function parseRetryAfterMs(value: string | undefined): number | null {
  const v = value?.trim();
  if (!v || !DECIMAL.test(v)) return null;
  return Math.ceil(Number(v));
}

/** `Retry-After`: delay-seconds or an HTTP-date, relative to `nowMs`; a past date means 0. */
export function parseRetryAfterHeader(value: string | undefined, nowMs: number): number | null {
  const v = value?.trim();
  if (!v) return null;
  if (DECIMAL.test(v)) return Math.ceil(Number(v) * 1000);
  if (!HTTP_DATE.test(v)) return null;
  const at = Date.parse(v);
  if (!Number.isFinite(at)) return null;
  return Math.max(0, at - nowMs);
}

/**
 * The wait the endpoint asked for, in ms, or null when it asked for none (or sent garbage).
 * `retry-after-ms` wins when valid: it is the more precise of the two when both are sent.
 */
export function retryAfterMs(headers: HeaderSource, nowMs: number): number | null {
  return (
    parseRetryAfterMs(headerValue(headers, 'retry-after-ms')) ??
    parseRetryAfterHeader(headerValue(headers, 'retry-after'), nowMs)
  );
}
