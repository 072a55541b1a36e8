/**
 * Picking rows of a recorded-outcome set (data/synthetic, data/routellm, data/llmdrift, or
 * ../shared/data in test/shared/) for a test by what the recorded models did on them.
 */
import fs from 'node:fs';

export interface DataRow {
  id: string;
  task: string;
  system?: string;
  prompt: string;
  models: Record<
    string,
    {
      answer?: string;
      correct?: boolean;
      raw_confidence?: number;
      confidence_kind?: string;
      cost_usd?: number;
      tokens?: { in: number; out: number };
    }
  >;
}

const cache = new Map<string, DataRow[]>();

export function readRows(file: string): DataRow[] {
  let rows = cache.get(file);
  if (!rows) {
    rows = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as DataRow);
    cache.set(file, rows);
  }
  return rows;
}

/** The first `n` rows matching `pred`; throws if the set has fewer (the test's premise is wrong). */
export function pickRows(file: string, n: number, pred: (r: DataRow) => boolean): DataRow[] {
  const found = readRows(file).filter(pred).slice(0, n);
  if (found.length < n) throw new Error(`${file}: only ${found.length} rows match, wanted ${n}`);
  return found;
}
