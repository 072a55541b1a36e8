/**
 * Did the routed path (a shadow) give the same answer as the baseline that served? Three
 * strengths of "same", so a dashboard can tell formatting noise from real disagreement.
 */
import type { ShadowAgreement } from './trace';

export function normalizeAnswer(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[\s.!?;:,]+$/, '');
}

/** JSON text parsed and written again with its object keys sorted, or null when the text is not JSON. */
function sortedJsonText(text: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  return JSON.stringify(sort(value));
}

export function agreement(routed: string, served: string, hasSchema: boolean): ShadowAgreement {
  let schemaEqual: boolean | null = null;
  if (hasSchema) {
    const a = sortedJsonText(routed);
    const b = sortedJsonText(served);
    schemaEqual = a !== null && a === b;
  }
  return {
    exact: routed === served,
    normalized: normalizeAnswer(routed) === normalizeAnswer(served),
    schemaEqual,
  };
}
