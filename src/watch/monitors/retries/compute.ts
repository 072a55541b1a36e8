/**
 * retry_amplification: a router that cuts token cost by serving worse small-model answers shows
 * up as users asking again, and the retries are paid for (layer 3 of the routing tax).
 *
 * Per task, over routed served requests of the window: the share of small-served ones (first
 * rung, no escalation) that some later request retries (its retryOf names them; explicit or
 * automatic links), against the share of those served by a later rung. amplification = small /
 * large; extra requests = small retried - small n × large rate (what the small path added, never
 * below 0), priced at the mean cost of those retries (model cost + orchestration).
 *
 * Alert: both sides have `minRequests`, amplification > `maxAmplification`, and the difference
 * is significant (two-proportion z-test, p < 1 - confidence). When the large path had no retries
 * at all the ratio uses half a retry (so "20% vs none" can still alert, with a finite value).
 * Retries that have not happened yet (the window's last minutes) lower both sides alike.
 */
import type { MonitorsConfig } from '../../../request/config/monitors-schema';
import type { RequestRow } from '../../../request/ledger/types';
import {
  fmt,
  groupBy,
  isLargeServed,
  isSmallServed,
  pct,
  recalibrateHint,
  usd,
  type WindowView,
} from '../report-data';
import { twoProportionPValue, wilson } from '../stats';
import type { Alert, RetryRow } from '../types';

export function retryMonitor(
  current: WindowView,
  retries: RequestRow[],
  config: MonitorsConfig,
): { rows: RetryRow[]; alerts: Alert[]; retryCostUsd: number } {
  const conf = config.confidence;
  const windowIds = new Set(current.served.map((r) => r.id));
  // The retries of each window request: the loaded ones (started whenever) and any in the window.
  const retriesOf = new Map<string, RequestRow[]>();
  const seen = new Set<string>();
  for (const r of [...retries, ...current.served]) {
    if (r.shadow || r.retryOf === null || seen.has(r.id) || !windowIds.has(r.retryOf)) continue;
    seen.add(r.id);
    const list = retriesOf.get(r.retryOf);
    if (list) list.push(r);
    else retriesOf.set(r.retryOf, [r]);
  }
  const costOf = (r: RequestRow) => r.costUsd + r.orchestrationCostUsd;
  let retryCostUsd = 0;
  for (const list of retriesOf.values()) for (const r of list) retryCostUsd += costOf(r);

  const rows: RetryRow[] = [];
  const alerts: Alert[] = [];
  for (const [task, list] of groupBy(current.routed, (r) => r.task)) {
    const smallRows = list.filter(isSmallServed);
    const largeRows = list.filter(isLargeServed);
    const retried = (r: RequestRow) => retriesOf.has(r.id);
    const small = wilson(smallRows.filter(retried).length, smallRows.length, conf);
    const large = wilson(largeRows.filter(retried).length, largeRows.length, conf);
    const amplification = small.rate !== null && large.rate ? small.rate / large.rate : null;
    const extraRequests = large.rate === null ? 0 : Math.max(0, small.k - small.n * large.rate);
    const smallRetries = smallRows.flatMap((r) => retriesOf.get(r.id) ?? []);
    const meanRetryCost = smallRetries.length
      ? smallRetries.reduce((s, r) => s + costOf(r), 0) / smallRetries.length
      : 0;
    const extraCostUsd = extraRequests * meanRetryCost;
    rows.push({ task, small, large, amplification, extraRequests, extraCostUsd });

    if (small.n < config.minRequests || large.n < config.minRequests) continue;
    const ratio = small.rate! / Math.max(large.rate!, 0.5 / large.n);
    const pValue = twoProportionPValue(small.k, small.n, large.k, large.n);
    if (ratio > config.retries.maxAmplification && pValue !== null && pValue < 1 - conf) {
      alerts.push({
        monitor: 'retry_amplification',
        key: task,
        severity: ratio > 2 * config.retries.maxAmplification ? 'critical' : 'warning',
        message:
          `${task}: users retried ${pct(small.rate)} of small-served answers (${small.k}/${small.n}) vs ` +
          `${pct(large.rate)} of large-served (${large.k}/${large.n}): ${fmt(ratio)}x (max ${fmt(config.retries.maxAmplification)}x, ` +
          `p=${fmt(pValue)}), ${fmt(extraRequests)} extra requests costing ${usd(extraCostUsd)}`,
        value: ratio,
        threshold: config.retries.maxAmplification,
        evidence: {
          smallN: small.n,
          smallRetried: small.k,
          smallRate: small.rate,
          largeN: large.n,
          largeRetried: large.k,
          largeRate: large.rate,
          pValue,
          extraRequests,
          extraCostUsd,
        },
        recommendation: `the small path's answers are not good enough for users: raise its threshold, or ${recalibrateHint(task, list)}`,
      });
    }
  }
  return { rows, alerts, retryCostUsd };
}
