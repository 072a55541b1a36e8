/**
 * The worker's Prometheus metrics (docs/ledger.md, "Metrics"), on a private prom-client
 * Registry served at `/metrics` (metrics-server.ts). They are fed by the record-outcome
 * activity from the same record it writes to the ledger, and only when the ledger write
 * actually inserted the row: a retried or replayed activity never counts a request twice, so
 * the counters add up to what the ledger holds for the requests this process recorded.
 *
 * Labels are bounded: routes, task ids and model ids come from the config, reasons and error
 * classes from closed lists; no request id, tenant or prompt.
 *
 * Served requests and shadow children are apart: every counter but the shadow ones counts
 * served requests only (a shadow's cost is the operator's experiment, not the route's economics);
 * model attempts count both (`purpose="shadow"` marks the shadows' answer calls).
 */
import { Counter, Histogram, Registry } from 'prom-client';
import type { OutcomeRecord, RecordResult } from '../../request/ledger/types';

export type LedgerWriteResult = 'inserted' | 'duplicate' | 'replaced' | 'error';

export interface CascadeMetrics {
  registry: Registry;
  /** Counts one recorded request (call only when the ledger inserted its row). */
  observeOutcome(rec: OutcomeRecord): void;
  /**
   * A record that replaced an earlier execution's row (RecordResult.replacedFrom): the attempts
   * and costs it adds to what that row's insert counted, so the counters sum to the ledger.
   */
  observeReplacement(rec: OutcomeRecord, from: NonNullable<RecordResult['replacedFrom']>): void;
  countLedgerWrite(result: LedgerWriteResult): void;
}

export const DECISION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
export const REQUEST_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
export const CONFIDENCE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1];

export interface CascadeMetricsOptions {
  /**
   * The tenants the config names (`tenants`): the `tenant` label of the spend counter takes these
   * values, `other` for any other and `none` for a request without one, so a caller-supplied
   * tenant can never grow the series without bound.
   */
  tenants?: () => Iterable<string>;
}

export function createCascadeMetrics(opts: CascadeMetricsOptions = {}): CascadeMetrics {
  const registry = new Registry();
  const registers = [registry];
  const tenantLabel = (tenant: string | null): string => {
    if (tenant === null) return 'none';
    for (const t of opts.tenants?.() ?? []) if (t === tenant) return tenant;
    return 'other';
  };

  const requests = new Counter({
    name: 'cascade_requests_total',
    help: 'Served requests recorded, by route, task and the model whose answer was served ("none": no answer)',
    labelNames: ['route', 'task', 'final_model'] as const,
    registers,
  });
  const shadowRequests = new Counter({
    name: 'cascade_shadow_requests_total',
    help: 'Shadow children recorded (the routed path run beside a baseline-served request), by task',
    labelNames: ['task'] as const,
    registers,
  });
  const escalations = new Counter({
    name: 'cascade_escalations_total',
    help: 'Escalations of served requests, by reason (a request escalating twice counts twice)',
    labelNames: ['reason'] as const,
    registers,
  });
  const attempts = new Counter({
    name: 'cascade_model_attempts_total',
    help: 'Model-call attempts, by model, purpose (answer, self_check, judge, shadow) and outcome (ok or the error class)',
    labelNames: ['model', 'purpose', 'outcome'] as const,
    registers,
  });
  const usd = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['task'] as const, registers });
  const cost = usd(
    'cascade_cost_usd_total',
    'Model spend of served requests, USD, failed attempts and checks included',
  );
  const baseline = usd(
    'cascade_baseline_cost_usd_total',
    'What served requests would have cost on the strongest rung alone, USD',
  );
  const wasted = usd(
    'cascade_wasted_cost_usd_total',
    'Spend on rungs whose answer was not served (double-cost fallbacks), USD',
  );
  const orchestration = usd(
    'cascade_orchestration_cost_usd_total',
    'Temporal actions of served requests priced at temporal.costPerAction, USD',
  );
  const shadowCost = usd('cascade_shadow_cost_usd_total', 'Model spend of shadow children, USD');
  const modelCost = new Counter({
    name: 'cascade_model_cost_usd_total',
    help: 'Model spend by model and purpose (answer, self_check, judge, shadow), USD, every attempt billed',
    labelNames: ['model', 'purpose'] as const,
    registers,
  });
  const tenantCost = new Counter({
    name: 'cascade_tenant_cost_usd_total',
    help: "Spend of served requests by tenant (the config's tenants; other; none), model calls and orchestration, USD",
    labelNames: ['tenant', 'kind'] as const,
    registers,
  });
  const decision = new Histogram({
    name: 'cascade_decision_seconds',
    help: 'Time the pre-route classifier spent deciding, per served request',
    buckets: DECISION_BUCKETS,
    registers,
  });
  const latency = new Histogram({
    name: 'cascade_request_seconds',
    help: 'Served request latency, workflow start to finish',
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const confidence = new Histogram({
    name: 'cascade_confidence',
    help: "Calibrated confidence of each served request's deciding check, by the checked model",
    labelNames: ['model'] as const,
    buckets: CONFIDENCE_BUCKETS,
    registers,
  });
  const writes = new Counter({
    name: 'cascade_ledger_writes_total',
    help: 'Ledger writes by the record-outcome activity: inserted, duplicate (already recorded), replaced (a re-executed task recorded the calls it re-ran) or error (retried)',
    labelNames: ['result'] as const,
    registers,
  });

  return {
    registry,
    countLedgerWrite: (result) => writes.inc({ result }),
    observeOutcome(rec) {
      for (const a of rec.attemptRows) {
        attempts.inc({
          model: a.model,
          purpose: a.purpose,
          outcome: a.ok ? 'ok' : (a.errorClass ?? 'error'),
        });
        if (a.costUsd > 0) modelCost.inc({ model: a.model, purpose: a.purpose }, a.costUsd);
      }
      const task = rec.task;
      if (rec.shadow) {
        shadowRequests.inc({ task });
        shadowCost.inc({ task }, rec.costUsd);
        return;
      }
      requests.inc({ route: rec.route, task, final_model: rec.finalModel ?? 'none' });
      for (const e of rec.escalations) escalations.inc({ reason: e.reason });
      cost.inc({ task }, rec.costUsd);
      baseline.inc({ task }, rec.baselineCostUsd);
      wasted.inc({ task }, rec.wastedCostUsd);
      orchestration.inc({ task }, rec.orchestrationCostUsd);
      const tenant = tenantLabel(rec.tenant);
      tenantCost.inc({ tenant, kind: 'model' }, rec.costUsd);
      tenantCost.inc({ tenant, kind: 'orchestration' }, rec.orchestrationCostUsd);
      if (rec.decisionMs !== null) decision.observe(rec.decisionMs / 1000);
      latency.observe(rec.latencyMs / 1000);
      if (rec.calibratedConfidence !== null && rec.confidenceModel !== null) {
        confidence.observe({ model: rec.confidenceModel }, rec.calibratedConfidence);
      }
    },
    observeReplacement(rec, from) {
      // The re-execution's attempts beyond the earlier row's count are the calls it re-ran (the
      // earlier row's last call is among its own, now as `lost`): counted by their outcome here.
      for (const a of rec.attemptRows.slice(from.attempts)) {
        attempts.inc({
          model: a.model,
          purpose: a.purpose,
          outcome: a.ok ? 'ok' : (a.errorClass ?? 'error'),
        });
        if (a.costUsd > 0) modelCost.inc({ model: a.model, purpose: a.purpose }, a.costUsd);
      }
      const more = (now: number, before: number) => Math.max(0, now - before);
      const task = rec.task;
      if (rec.shadow) {
        shadowCost.inc({ task }, more(rec.costUsd, from.costUsd));
        return;
      }
      cost.inc({ task }, more(rec.costUsd, from.costUsd));
      wasted.inc({ task }, more(rec.wastedCostUsd, from.wastedCostUsd));
      orchestration.inc({ task }, more(rec.orchestrationCostUsd, from.orchestrationCostUsd));
      const tenant = tenantLabel(rec.tenant);
      tenantCost.inc({ tenant, kind: 'model' }, more(rec.costUsd, from.costUsd));
      tenantCost.inc(
        { tenant, kind: 'orchestration' },
        more(rec.orchestrationCostUsd, from.orchestrationCostUsd),
      );
    },
  };
}
