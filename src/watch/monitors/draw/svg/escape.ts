/**
 * Escaping for text and attribute values in HTML and inline SVG. Every string that comes from
 * data (task names are user input) goes through `esc` before it reaches the page.
 */
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A number for an SVG attribute: finite, at most two decimals, no exponent. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return '0';
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** `name="value"` pairs, escaped; undefined values are left out. */
export function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${k}="${typeof v === 'number' ? num(v) : esc(v)}"`)
    .join(' ');
}

/** A self-closing or wrapping SVG element. */
export function el(tag: string, a: Record<string, string | number | undefined>, inner?: string): string {
  const at = attrs(a);
  const open = at ? `<${tag} ${at}` : `<${tag}`;
  return inner === undefined ? `${open}/>` : `${open}>${inner}</${tag}>`;
}
