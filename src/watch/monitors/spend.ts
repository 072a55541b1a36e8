/**
 * Where the money goes, as a manager asks it (issue #17): spend by model and by tenant in the
 * window, the same figures a month at the window's pace, and the previous period beside the
 * current one. Served requests only (shadow children are the operator's experiment), from the
 * rows the other monitors read; pure.
 */
import type { WindowView } from './report-data';
import type { SpendSection } from './types';

const MONTH_MS = 30 * 24 * 3_600_000;

function totals(view: WindowView): SpendSection['current'] {
  let modelCostUsd = 0;
  let orchestrationCostUsd = 0;
  let baselineCostUsd = 0;
  for (const r of view.served) {
    modelCostUsd += r.costUsd;
    orchestrationCostUsd += r.orchestrationCostUsd;
    baselineCostUsd += r.baselineCostUsd;
  }
  return {
    requests: view.served.length,
    modelCostUsd,
    orchestrationCostUsd,
    baselineCostUsd,
    netSavingsUsd: baselineCostUsd - modelCostUsd - orchestrationCostUsd,
  };
}

export function spendSection(current: WindowView, reference: WindowView | null): SpendSection {
  const served = new Set(current.served.map((r) => r.id));
  const byModel = new Map<string, { attempts: number; costUsd: number }>();
  for (const c of current.calls) {
    if (!served.has(c.requestId)) continue;
    const m = byModel.get(c.model) ?? { attempts: 0, costUsd: 0 };
    m.attempts += c.attempts;
    m.costUsd += c.costUsd;
    byModel.set(c.model, m);
  }
  const byTenant = new Map<string | null, SpendSection['byTenant'][number]>();
  for (const r of current.served) {
    const t = byTenant.get(r.tenant) ?? {
      tenant: r.tenant,
      requests: 0,
      costUsd: 0,
      orchestrationCostUsd: 0,
      netSavingsUsd: 0,
    };
    t.requests += 1;
    t.costUsd += r.costUsd;
    t.orchestrationCostUsd += r.orchestrationCostUsd;
    t.netSavingsUsd += r.baselineCostUsd - r.costUsd - r.orchestrationCostUsd;
    byTenant.set(r.tenant, t);
  }
  const now = totals(current);
  const spanMs = Math.max(1, current.window.to - current.window.from);
  const scale = MONTH_MS / spanMs;
  return {
    current: now,
    previous: reference ? { window: reference.window, ...totals(reference) } : null,
    monthly: {
      requests: now.requests * scale,
      costUsd: (now.modelCostUsd + now.orchestrationCostUsd) * scale,
      netSavingsUsd: now.netSavingsUsd * scale,
    },
    byModel: [...byModel]
      .map(([model, m]) => ({ model, ...m }))
      .sort((a, b) => b.costUsd - a.costUsd || (a.model < b.model ? -1 : 1)),
    byTenant: [...byTenant.values()].sort(
      (a, b) => b.costUsd - a.costUsd || String(a.tenant).localeCompare(String(b.tenant)),
    ),
  };
}
