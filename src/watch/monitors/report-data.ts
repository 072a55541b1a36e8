/**
 * What the monitors compute from: the ledger rows of the window (and of the reference window),
 * loaded by build-report.ts and handed to the pure computeReport, plus the per-window indexes
 * every monitor needs (latest feedback per request, router calls per request, buckets). Kept
 * apart so the monitors are tested on synthetic rows without a database.
 */
import type { MonitorsConfig } from '../../request/config/monitors-schema';
import type { FeedbackRow, PurposeCost, RequestRow } from '../../request/ledger/types';
import type { CalibrationArtefact } from '../../request/router/calibration/artefact';
import type { Window } from './types';

export interface WindowData {
  window: Window;
  /** Requests started in the window, shadow children included (Ledger.listRequests). */
  requests: RequestRow[];
  /** Feedback events of those requests (Ledger.listFeedback). */
  feedback: FeedbackRow[];
  /** Their model calls per (request, purpose, model) (Ledger.costsByPurpose). */
  calls: PurposeCost[];
}

export interface ReportData {
  current: WindowData;
  /** Requests, started whenever, that are user retries of a current-window request (Ledger.listRetriesOf). */
  retries: RequestRow[];
  /** The reference window's data; null: none (escalation baselines then come from calibrations only). */
  reference: WindowData | null;
}

export interface ReportOptions {
  window: Window;
  /** What drift and uncalibrated baselines compare against. Undefined: the `referenceMs` before the window; null: none. */
  reference?: Window | null;
  config: MonitorsConfig;
  /** Per task: its calibration artefact (the calibrated escalation baseline). */
  calibrations?: Record<string, CalibrationArtefact>;
  /** The report's time (default: now in buildReport, the window's end in computeReport). */
  now?: number;
}

/** A window's rows indexed the way the monitors read them. */
export interface WindowView {
  window: Window;
  /** Requests that served an answer to a user (shadow children apart). */
  served: RequestRow[];
  /** Served requests the router decided (route not static, served as `routed`): the ones that can escalate. */
  routed: RequestRow[];
  shadows: RequestRow[];
  /** Latest feedback score per request (a later rating replaces an earlier one). */
  score: Map<string, number>;
  /** Router-side model calls per request: self-checks and judge calls (confidence checks). */
  checkCostUsd: Map<string, number>;
  calls: PurposeCost[];
}

export function viewOf(data: WindowData): WindowView {
  const served = data.requests.filter((r) => !r.shadow);
  const latest = new Map<string, FeedbackRow>();
  for (const f of data.feedback) {
    const prev = latest.get(f.requestId);
    if (!prev || f.createdAt > prev.createdAt || (f.createdAt === prev.createdAt && f.id > prev.id)) {
      latest.set(f.requestId, f);
    }
  }
  const checkCostUsd = new Map<string, number>();
  for (const c of data.calls) {
    if (c.purpose === 'self_check' || c.purpose === 'judge') {
      checkCostUsd.set(c.requestId, (checkCostUsd.get(c.requestId) ?? 0) + c.costUsd);
    }
  }
  return {
    window: data.window,
    served,
    routed: served.filter(isRouted),
    shadows: data.requests.filter((r) => r.shadow),
    score: new Map([...latest].map(([id, f]) => [id, f.score])),
    checkCostUsd,
    calls: data.calls,
  };
}

/** Whether the router decided this request (a static route, kill switch, rollout or override did not). */
export function isRouted(r: RequestRow): boolean {
  return !r.shadow && r.route !== 'static' && r.servedAs === 'routed';
}

/** Served by the first (small) rung with no escalation. */
export function isSmallServed(r: RequestRow): boolean {
  return r.finalRung === 0 && !r.escalated;
}

/** Served by a later rung, by escalation or by a rung skip. */
export function isLargeServed(r: RequestRow): boolean {
  return r.escalated || (r.finalRung !== null && r.finalRung > 0);
}

export interface Buckets {
  from: number;
  bucketMs: number;
  count: number;
}

export function bucketsOf(window: Window, count: number): Buckets {
  const n = Math.max(1, Math.floor(count));
  return { from: window.from, bucketMs: Math.max(1, Math.ceil((window.to - window.from) / n)), count: n };
}

export function bucketIndex(b: Buckets, at: number): number {
  return Math.min(b.count - 1, Math.max(0, Math.floor((at - b.from) / b.bucketMs)));
}

/** Groups rows by a key, in first-seen order sorted by key (stable report order). */
export function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `2026-01-15T12:00:00.000Z/2026-01-22T12:00:00.000Z` (an ISO 8601 interval). */
export function windowLabel(w: Window): string {
  return `${new Date(w.from).toISOString()}/${new Date(w.to).toISOString()}`;
}

/** The ladder of a task as its rows recorded it, for a `cascade calibrate --ladder` hint. */
export function ladderOf(rows: RequestRow[]): string {
  const r = rows.find((x) => x.rungModels.length > 1) ?? rows[0];
  return r && r.rungModels.length > 0 ? r.rungModels.join(',') : '<small>,<large>';
}

export function recalibrateHint(task: string, rows: RequestRow[]): string {
  return `recalibrate ${task} on recent labelled traffic: cascade calibrate --train <recent ${task} JSONL> --ladder ${ladderOf(rows)} --out <dir>`;
}

/** Rounds for messages: 3 significant digits. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return Number(x.toPrecision(3)).toString();
}

export function pct(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return `${Number((x * 100).toPrecision(3))}%`;
}

export function usd(x: number): string {
  const abs = Math.abs(x);
  const s = abs >= 1 ? abs.toFixed(2) : abs.toPrecision(3);
  return `${x < 0 ? '-' : ''}$${s}`;
}
