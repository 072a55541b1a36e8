/**
 * buildReport: loads a window's rows (and the reference window's) from the ledger and computes
 * the report (compute-report.ts, pure). Used by the scheduled evaluation (src/temporal/activities/monitors.ts)
 * and `cascade report`.
 */
import type { Ledger } from '../../request/ledger/types';
import { computeReport } from './compute-report';
import type { ReportData, ReportOptions, WindowData } from './report-data';
import type { Report, Window } from './types';

export type { ReportData, ReportOptions, WindowData } from './report-data';
export { computeReport } from './compute-report';

export async function buildReport(ledger: Ledger, opts: ReportOptions): Promise<Report> {
  const data = await loadReportData(ledger, opts);
  return computeReport(data, { ...opts, now: opts.now ?? Date.now() });
}

/** The reference window: the one given, none (null), or by default the `referenceMs` before the window. */
export function referenceWindowOf(opts: ReportOptions): Window | null {
  if (opts.reference !== undefined) return opts.reference;
  return { from: opts.window.from - opts.config.referenceMs, to: opts.window.from };
}

export async function loadReportData(ledger: Ledger, opts: ReportOptions): Promise<ReportData> {
  const refWindow = referenceWindowOf(opts);
  const [current, retries, reference] = await Promise.all([
    loadWindow(ledger, opts.window),
    ledger.listRetriesOf(opts.window),
    refWindow ? loadWindow(ledger, refWindow) : Promise.resolve(null),
  ]);
  return { current, retries, reference };
}

async function loadWindow(ledger: Ledger, window: Window): Promise<WindowData> {
  const range = { from: window.from, to: window.to };
  const [requests, feedback, calls] = await Promise.all([
    ledger.listRequests(range),
    ledger.listFeedback(range),
    ledger.costsByPurpose(range),
  ]);
  return { window, requests, feedback, calls };
}
