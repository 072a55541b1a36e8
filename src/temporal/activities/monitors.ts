/**
 * The monitors' activities (src/temporal/workflows/monitor.ts), on the `cascade` queue beside the
 * record-outcome activity, with the same ledger. Alerts go out three ways: a log line per
 * transition here, the webhook (notifyAlerts), and the Prometheus gauges every worker serves
 * from the latest stored evaluation (src/watch/telemetry/monitor-gauges.ts).
 *
 * The webhook URL comes from the worker's environment (CASCADE_ALERT_WEBHOOK_URL): it usually
 * carries a secret, so it is never in a workflow input, a history event or a log line.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import type { CascadeConfig } from '../../request/config/schema';
import type { Ledger } from '../../request/ledger/types';
import { buildReport } from '../../watch/monitors/build-report';
import { evaluationWindows } from '../../watch/monitors/windows';
import { alertTransitions, type AlertTransition } from '../../watch/monitors/transitions';
import { storedReport } from '../../watch/monitors/types';
import { postWebhook, webhookPayload } from '../../watch/monitors/webhook';
import type { CalibrationArtefact } from '../../request/router/calibration/artefact';

export interface MonitorActivityDeps {
  ledger: Ledger;
  config: () => CascadeConfig;
  /** The artefacts of the config's tasks in force (the calibrated escalation baselines, the drift references). */
  calibrations?: () => Record<string, CalibrationArtefact>;
  /** Where alerts are POSTed; undefined: no webhook, log lines and gauges only. */
  webhookUrl?: string;
}

export interface EvaluateMonitorsInput {
  /** The workflow's id: the evaluation's idempotency key. */
  evaluationId: string;
  /** End of the window, epoch ms. */
  at: number;
}

export interface EvaluateMonitorsResult {
  firing: number;
  transitions: AlertTransition[];
}

export interface NotifyAlertsInput {
  evaluationId: string;
  at: number;
  transitions: AlertTransition[];
}

export function createMonitorActivities(deps: MonitorActivityDeps) {
  async function evaluateMonitors(input: EvaluateMonitorsInput): Promise<EvaluateMonitorsResult> {
    const config = deps.config();
    const { window, reference } = evaluationWindows(input.at, config.monitors);
    const report = await buildReport(deps.ledger, {
      window,
      reference,
      config: config.monitors,
      calibrations: deps.calibrations?.() ?? {},
      now: input.at,
    });
    // The previous evaluation is the latest before this one's time, so a retried activity (its
    // row already stored) computes the same transitions as the first attempt did.
    const previous = await deps.ledger.latestEvaluation({ before: input.at, excludeId: input.evaluationId });
    await deps.ledger.saveEvaluation({ id: input.evaluationId, at: input.at, report });
    const previousAlerts = (previous && storedReport(previous.report).alerts) ?? [];
    const transitions = alertTransitions(previousAlerts, report.alerts);
    for (const t of transitions) {
      const fields = {
        monitor: t.alert.monitor,
        key: t.alert.key,
        severity: t.alert.severity,
        value: t.alert.value,
        threshold: t.alert.threshold,
      };
      if (t.state === 'firing') log.warn(`cascade alert firing: ${t.alert.message}`, fields);
      else log.info(`cascade alert resolved: ${t.alert.monitor} ${t.alert.key}`, fields);
    }
    return { firing: report.alerts.length, transitions };
  }

  async function notifyAlerts(input: NotifyAlertsInput): Promise<{ delivered: boolean }> {
    if (!deps.webhookUrl || !deps.config().monitors.webhook) return { delivered: false };
    try {
      await postWebhook(deps.webhookUrl, webhookPayload(input.evaluationId, input.at, input.transitions));
    } catch (err) {
      throw ApplicationFailure.create({ type: 'AlertWebhookFailed', message: (err as Error).message });
    }
    return { delivered: true };
  }

  return { evaluateMonitors, notifyAlerts };
}

export type MonitorActivities = ReturnType<typeof createMonitorActivities>;
