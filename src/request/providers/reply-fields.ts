/**
 * Small readers for provider reply bodies, shared by the adapters: the SDKs type their replies,
 * but an OpenAI-compatible proxy or a local server may send anything, and a garbage reply must
 * become a MalformedResponseError that says what came back, not a TypeError deep inside.
 */
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a value is, for an error message ("an empty body", `text "..."`, "an array"). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'an empty body';
  if (typeof v === 'string') return `text "${v.slice(0, 60)}${v.length > 60 ? '...' : ''}"`;
  return Array.isArray(v) ? 'an array' : typeof v;
}

/** A comma-separated header value as its trimmed, non-empty items. */
export function parseHeaderList(header: string | null): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
