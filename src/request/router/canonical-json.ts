/**
 * JSON with object keys sorted at every level (arrays keep their order; `undefined` properties
 * left out, as JSON.stringify leaves them out), so the same value always gives the same text and
 * hashes the same: config versions (src/request/config-file/load.ts), calibration artefact and classifier
 * versions (src/request/config-file/artefact-file.ts), the gateway's idempotency body hash
 * (src/doors/gateway/idempotency.ts). Those versions and hashes are stored and compared across
 * processes and releases: the output must stay byte for byte what it is.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
