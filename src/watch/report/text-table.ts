/**
 * Aligned plain-text columns for the terminal: no colours, no box drawing, widths from the
 * widest cell (counted in code points, so `–` and `→` count as one column).
 */
export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

export function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'right' ? fill + s : s + fill;
}

/** Lines of an aligned table (header, then rows), each indented by `indent`; trailing spaces trimmed. */
export function columns(cols: Column[], rows: string[][], indent = '  '): string[] {
  const widths = cols.map((c, i) => Math.max(width(c.header), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    (indent + cells.map((s, i) => pad(s, widths[i] ?? 0, cols[i]?.align ?? 'left')).join('  ')).trimEnd();
  return [line(cols.map((c) => c.header)), ...rows.map((r) => line(r))];
}

/** `label    value` pairs, the values in one column (right-aligned unless asked). */
export function pairs(
  items: [label: string, value: string][],
  indent = '  ',
  align: Align = 'right',
): string[] {
  const lw = Math.max(0, ...items.map(([l]) => width(l)));
  const vw = Math.max(0, ...items.map(([, v]) => width(v)));
  return items.map(([l, v]) => `${indent}${pad(l, lw, 'left')}  ${pad(v, vw, align)}`.trimEnd());
}
