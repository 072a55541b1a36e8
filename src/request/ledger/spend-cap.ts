/**
 * Per-tenant monthly spend caps (config `tenants.<name>.monthlySpendCapUsd`), checked when a
 * request starts (CascadeClient.start): a tenant whose spend this calendar month (UTC) has
 * reached its cap gets no new request. Spend is what the ledger holds: model cost plus
 * orchestration cost of the tenant's served requests (shadow children are the operator's, not
 * the tenant's). Requests still running are not in the ledger yet, so a tenant can overshoot its
 * cap by what its in-flight requests cost.
 */
import type { Ledger } from './types';

/** Epoch ms of the first instant of `now`'s calendar month, UTC. */
export function monthStartUtc(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export interface SpendCapBreach {
  tenant: string;
  spentUsd: number;
  capUsd: number;
  /** Start of the month the spend is counted from, epoch ms. */
  since: number;
}

/** The breach when the tenant's month-to-date spend is at or over its cap, else null. */
export async function checkSpendCap(
  ledger: Ledger,
  tenant: string,
  capUsd: number,
  now: number = Date.now(),
): Promise<SpendCapBreach | null> {
  const since = monthStartUtc(now);
  const spentUsd = await ledger.tenantSpend(tenant, { from: since });
  return spentUsd >= capUsd ? { tenant, spentUsd, capUsd, since } : null;
}

/** The message of a refused request: says `spend_cap` and the figures. */
export function spendCapMessage(b: SpendCapBreach): string {
  const month = new Date(b.since).toISOString().slice(0, 7);
  return (
    `spend_cap: tenant "${b.tenant}" has spent ${b.spentUsd.toFixed(6)} USD in ${month} (UTC), ` +
    `at or over its monthly cap of ${b.capUsd} USD; no new request is started until next month or a higher cap`
  );
}
