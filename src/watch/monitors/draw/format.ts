/**
 * Number and time formatting shared by the terminal table and the HTML page, so both say the
 * same thing the same way: money as `$0.0123` or `$1,234.56`, rates as `12.3%`, a statistic that could not be
 * computed (null) as `n/a`, times in UTC.
 */
import type { Rate, Report } from '../types';

export const NA = 'n/a';

/**
 * `$0.0123`, `$1,234.56`, `-$1.20`: four decimals below a dollar (per-request prices are fractions
 * of a cent), cents from a dollar up (a manager reads `$516.00`, not `$516.0000`).
 */
export function money(x: number | null | undefined, decimals?: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NA;
  if (decimals === undefined) decimals = Math.abs(x) >= 0.995 ? 2 : 4;
  const sign = x < 0 && Math.abs(x) >= 0.5 * 10 ** -decimals ? '-' : '';
  const fixed = Math.abs(x).toFixed(decimals);
  const [int = '0', frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}$${frac === undefined ? grouped : `${grouped}.${frac}`}`;
}

/** `12.3%` from a 0..1 fraction. */
export function pct(x: number | null | undefined, decimals = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NA;
  return `${(x * 100).toFixed(decimals)}%`;
}

/** `11.0–13.6%`: a Wilson interval, or n/a. */
export function interval(
  low: number | null | undefined,
  high: number | null | undefined,
  decimals = 1,
): string {
  if (low === null || low === undefined || high === null || high === undefined) return NA;
  return `${(low * 100).toFixed(decimals)}–${(high * 100).toFixed(decimals)}%`;
}

/** `12.3% (41/333)`. */
export function rateWithCounts(r: Rate): string {
  return r.n === 0 ? `${NA} (0/0)` : `${pct(r.rate)} (${count(r.k)}/${count(r.n)})`;
}

/** `12,345`. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A 0..1 score as `0.823`. */
export function score(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NA;
  return x.toFixed(3);
}

/** A signed difference of scores, `+0.012` / `-0.040`. */
export function signed(x: number | null | undefined, decimals = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NA;
  return `${x >= 0 ? '+' : ''}${x.toFixed(decimals)}`;
}

/** `2026-11-27 14:00` (UTC). */
export function dateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** `24h`, `7d`, `1h`, `15m`, `45s`: whole units where they fit. */
export function duration(ms: number): string {
  const S = 1000;
  const M = 60 * S;
  const H = 60 * M;
  const D = 24 * H;
  if (ms >= 3 * D && ms % D === 0) return `${ms / D}d`;
  if (ms >= H && ms % H === 0) return `${ms / H}h`;
  if (ms >= M && ms % M === 0) return `${ms / M}m`;
  if (ms < 2 * M) return `${+(ms / S).toFixed(1)}s`;
  if (ms < 2 * H) return `${+(ms / M).toFixed(1)}m`;
  if (ms < 3 * D) return `${+(ms / H).toFixed(1)}h`;
  return `${+(ms / D).toFixed(1)}d`;
}

/** `2026-11-27 00:00 → 2026-11-28 00:00 UTC (24h)`. */
export function windowText(w: { from: number; to: number }): string {
  return `${dateTime(w.from)} → ${dateTime(w.to)} UTC (${duration(w.to - w.from)})`;
}

/** What drift compares against, in words. */
export function referenceText(ref: Report['reference']): string {
  if (ref === null) return 'none (no reference window or calibration snapshot)';
  if (ref.kind === 'calibration') return `calibration ${ref.version}`;
  return `window ${windowText(ref.window)}`;
}

export const DOMINANT_LOSS_TEXT: Record<NonNullable<Report['costs']['dominantLoss']>, string> = {
  wasted: 'wasted small-model answers thrown away by escalations (classifier errors)',
  self_check: 'self-check calls',
  orchestration: 'orchestration actions',
  decision: 'decision compute',
  retries: 'user retries of small-model answers',
  no_savings: 'no price savings to begin with (routing served at or above the baseline price)',
};

/** The figure of the dominant loss layer, for "what made it unprofitable". */
export function dominantLossUsd(c: Report['costs']): number | null {
  switch (c.dominantLoss) {
    case 'wasted':
      return c.wastedCostUsd;
    case 'self_check':
      return c.router.selfCheckUsd;
    case 'orchestration':
      return c.router.orchestrationUsd;
    case 'decision':
      return c.router.decisionUsd;
    case 'retries':
      return c.retryCostUsd;
    case 'no_savings':
      return c.grossSavingsUsd;
    default:
      return null;
  }
}

/**
 * "3 calls whose outcome was lost": priced from their input tokens (docs/reliability.md), so the
 * reader knows how much of the bill is an estimate. Reports rendered from JSON written before the
 * field existed have none.
 */
export function estimatedCalls(c: Report['costs']): string {
  const n = c.estimated?.attempts ?? 0;
  return `${n} call${n === 1 ? '' : 's'} whose outcome was lost`;
}
