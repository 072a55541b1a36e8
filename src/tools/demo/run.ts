/**
 * The demo's own I/O around the batch: what the calibration artefacts of its tasks say (printed
 * before the run), and the traces of the shadow children the batch started (their model calls
 * are spent too, so the summary counts them).
 */
import type { Client } from '@temporalio/client';
import { formatPct } from '../../doors/client/summary';
import type { CascadeConfig } from '../../request/config/schema';
import type { CalibrationArtefact } from '../../request/router/calibration/artefact';
import type { Trace } from '../../request/router/trace';
import type { DemoSet } from './demo-set';

/**
 * One line per task of the set that has a calibration artefact: on which rows it was fitted, its
 * recommendation, and what each cheaper model alone cost and kept on those rows.
 */
export function calibrationNotes(
  config: CascadeConfig,
  set: Pick<DemoSet, 'rows'>,
  calibrations: Readonly<Record<string, CalibrationArtefact>> = {},
): string[] {
  const tasks = [...new Set([...set.rows.values()].map((r) => r.task))];
  return tasks.flatMap((task) => {
    const a = config.tasks[task]?.calibration !== undefined ? calibrations[task] : undefined;
    if (!a) return [];
    const large = a.ladder[a.ladder.length - 1]!;
    const files = a.training.files.map((f) => f.name).join(', ');
    const rec = a.recommendation;
    const verdict = rec.route === 'static' ? `route static with ${rec.model ?? large}` : `route ${rec.route}`;
    const alone = a.staticOptions
      .filter((o) => o.model !== large)
      .map(
        (o) =>
          `${o.model} alone would cost ${formatPct(o.relativeCost)} of ${large} and keep ` +
          `${formatPct(o.relativeQuality)} of its accuracy (bound ${formatPct(o.lowerBound)})`,
      );
    const separation = a.ladder.slice(0, -1).flatMap((m) => {
      const auc = a.classifier?.heads[m]?.report.heldOut.auc;
      return typeof auc === 'number'
        ? [
            `its classifier tells ${m}'s right answers from its wrong ones with an out-of-fold AUC of ${auc.toFixed(2)} (0.50 is chance)`,
          ]
        : [];
    });
    const onRows = [...alone, ...separation];
    return [
      `task ${task}: calibration ${a.version}, fitted by \`cascade calibrate\` on ${files} (${a.training.rows} rows): ` +
        `${verdict}: ${rec.reason}`,
      ...(onRows.length ? [`on those rows ${onRows.join('; ')}`] : []),
    ];
  });
}

/** The final traces of the shadow children of a batch's requests (`<request-id>:shadow`). */
export async function shadowChildren(client: Client, traces: readonly Trace[]): Promise<Trace[]> {
  const ids = traces.flatMap((t) => (t.shadow?.role === 'parent' ? [t.shadow.childWorkflowId] : []));
  return Promise.all(ids.map((id) => client.workflow.getHandle(id).result() as Promise<Trace>));
}
