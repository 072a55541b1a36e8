/**
 * One evaluation of the monitors (docs/monitors.md), started by the `cascade-monitors` Temporal
 * Schedule: however many workers run, the schedule starts one workflow per interval (overlap
 * policy SKIP), so each window is evaluated once. Each alert is delivered AT LEAST once: the
 * webhook activity is retried until the receiver answers 2xx, so a reply lost after the receiver
 * acted (a timeout, a worker that died mid-POST) sends it again, with the same `evaluationId`,
 * which the receiver should treat as an idempotency key (src/watch/monitors/webhook.ts).
 *
 * Two activities on the `cascade` queue: `evaluateMonitors` reads the ledger, stores the
 * evaluation (idempotent by this workflow's id) and returns the alerts that started or resolved
 * since the previous evaluation; `notifyAlerts` posts those to the webhook, retried by Temporal
 * while the receiver is down. A new workflow type, so no cascade history is affected.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { MonitorActivities } from '../activities/monitors';
import type { AlertTransition } from '../../watch/monitors/transitions';

const { evaluateMonitors } = proxyActivities<MonitorActivities>({
  // Reading a window of the ledger: seconds on a busy PostgreSQL, never minutes.
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});
const { notifyAlerts } = proxyActivities<MonitorActivities>({
  startToCloseTimeout: '30 seconds',
  // A webhook receiver that is down for a while still gets the alert when it is back; after
  // about an hour of failures the alert is given up on (it stays in the ledger and the gauges).
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 15,
  },
});

export interface MonitorWorkflowInput {
  /** The end of the evaluated window, epoch ms; default: when this workflow started. */
  at?: number;
}

export interface MonitorWorkflowResult {
  evaluationId: string;
  at: number;
  /** Alerts firing after this evaluation. */
  firing: number;
  transitions: AlertTransition[];
  /** Whether the transitions reached a webhook (false: none configured, or nothing to send). */
  notified: boolean;
}

export async function monitorWorkflow(input: MonitorWorkflowInput = {}): Promise<MonitorWorkflowResult> {
  const info = workflowInfo();
  const at = input.at ?? info.runStartTime.getTime();
  const evaluation = await evaluateMonitors({ evaluationId: info.workflowId, at });
  let notified = false;
  if (evaluation.transitions.length > 0) {
    notified = (
      await notifyAlerts({ evaluationId: info.workflowId, at, transitions: evaluation.transitions })
    ).delivered;
  }
  return {
    evaluationId: info.workflowId,
    at,
    firing: evaluation.firing,
    transitions: evaluation.transitions,
    notified,
  };
}
