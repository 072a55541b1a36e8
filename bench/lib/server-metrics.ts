/**
 * The dev server's own Prometheus counters for one namespace:
 *
 *   service_requests{service_name="frontend", operation}  RPCs its frontend served, by operation;
 *   action{action_type}                                   what the server counts as billable
 *                                                         actions (Temporal Cloud bills these).
 *
 * A bench scrapes them before and after a measured phase to get per-request figures, including
 * what never shows in a history (heartbeats, polls). The server flushes its counters on an
 * interval (about 1 s), so scrapeAfterFlush() waits that long before it reads them.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerCounters {
  /** Frontend RPCs by operation. */
  requests: Map<string, number>;
  /** Billable actions by action_type (e.g. grpc_StartWorkflowExecution, command_ScheduleActivityTask). */
  actions: Map<string, number>;
}

export async function scrape(metricsUrl: string, namespace: string): Promise<ServerCounters> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`GET ${metricsUrl}: ${res.status}`);
  const text = await res.text();
  const requests = new Map<string, number>();
  const actions = new Map<string, number>();
  for (const line of text.split('\n')) {
    const isRequests = line.startsWith('service_requests{');
    const isAction = line.startsWith('action{');
    if (!isRequests && !isAction) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const get = (name: string) => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1];
    if (get('namespace') !== namespace) continue;
    const value = Number(line.slice(line.lastIndexOf('}') + 1).trim());
    if (!Number.isFinite(value)) continue;
    const key = isRequests
      ? get('service_name') === 'frontend'
        ? get('operation')
        : undefined
      : get('action_type');
    if (!key) continue;
    const into = isRequests ? requests : actions;
    into.set(key, (into.get(key) ?? 0) + value);
  }
  return { requests, actions };
}

/**
 * Scrapes after the server's next counter flush (it publishes them about once a second), so
 * every RPC made before the call is counted.
 */
export async function scrapeAfterFlush(
  metricsUrl: string,
  namespace: string,
  flushMs = 1100,
): Promise<ServerCounters> {
  await sleep(flushMs);
  return scrape(metricsUrl, namespace);
}

/** after - before, per key, divided by `per` (keys that did not move are left out). */
export function perRequest(
  before: Map<string, number>,
  after: Map<string, number>,
  per: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, v] of [...after.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const d = v - (before.get(key) ?? 0);
    if (d > 0 && per > 0) out[key] = d / per;
  }
  return out;
}
