/** How the advice writes its figures in prose (the notes, the reasons, the Markdown). */
export const pct = (x: number | null | undefined, d = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(d)}%`;
export const pp = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} points` : '-');
export const num = (x: number | null | undefined, d = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d);
export const ms = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : `${x.toFixed(0)} ms`;
export function usd(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  return `${x < 0 ? '-' : ''}$${a >= 100 ? a.toFixed(0) : a >= 1 ? a.toFixed(2) : a.toPrecision(2)}`;
}
export function fmtTokens(x: number): string {
  if (!Number.isFinite(x)) return 'never';
  return x >= 1e9
    ? `${(x / 1e9).toFixed(2)}B`
    : x >= 1e6
      ? `${(x / 1e6).toFixed(2)}M`
      : x >= 1e3
        ? `${(x / 1e3).toFixed(1)}k`
        : x.toFixed(0);
}
