/**
 * Does routing pay, task by task? The demo's verdict: each task's traces against its strongest
 * model answering alone (the large-only baseline of src/doors/client/summary.ts), and the accuracy of
 * what was served against that model's, graded by the recorded labels of the rows the requests
 * came from. Pure: the CLI prints it, the e2e test recomputes every figure from the ledger.
 *
 * Every figure comes from the traces or from the recorded rows, nothing else:
 * - spent = model calls + shadow runs + orchestration (src/doors/client/summary.ts, per task);
 * - large-only = the traces' baselineCostUsd (the real cost when the strongest rung was called,
 *   else estimated from tokens; the table says for how many);
 * - accuracy: a served answer is graded by its row's `correct` for the model that served it, only
 *   when the served text is that model's recorded answer (the recorded-model server serves nothing
 *   else, and this checks it); large-only accuracy is the strongest model's `correct` on the same
 *   rows. Rows without both labels are left out of both figures (`labelled` says how many stay).
 */
import type { CascadeConfig } from '../../request/config/schema';
import { formatPct, formatUsd, summarize, type BatchSummary } from '../../doors/client/summary';
import type { CalibrationArtefact } from '../../request/router/calibration/artefact';
import { auc } from '../calibrate/metrics';
import type { Trace } from '../../request/router/trace';
import type { DemoRow } from './demo-set';

/** The target `cascade calibrate` holds by default (relative accuracy), for tasks without an artefact. */
export const DEFAULT_TARGET = 0.97;

export type VerdictKind = 'pays' | 'saves-but-loses-accuracy' | 'does-not-pay' | 'not-routed' | 'shadow';

export interface TaskVerdict {
  task: string;
  route: string;
  /** The strongest model of the task: what large-only means here. */
  largeModel: string;
  summary: BatchSummary;
  /** Answered requests served by a model other than the strongest. */
  servedCheaper: number;
  /** Model calls + shadow runs + orchestration. */
  spentUsd: number;
  /** Rows with a label for the served answer and for the strongest model. */
  labelled: number;
  /** Share of those rows whose served answer was right; null without labelled rows. */
  accuracy: number | null;
  /** Share of the same rows the strongest model alone got right. */
  largeAccuracy: number | null;
  /** The relative accuracy the verdict holds the task to (its calibration's target, else 0.97). */
  target: number;
  /**
   * The pre-route classifier on these requests (a calibrated task): how well its P(good) for the
   * first rung's model, recorded in each trace, separates that model's right answers from its
   * wrong ones by the rows' labels (AUC; 0.5 is chance). Null without a classifier or both classes.
   */
  classifier: { model: string; auc: number; rows: number } | null;
  /** Shadow mode: what the shadows say routing would have saved on the served cost (null without shadows). */
  shadowWouldHaveSavedUsd: number | null;
  kind: VerdictKind;
  /** The verdict in one sentence, with its figures. */
  text: string;
}

export interface VerdictInput {
  config: CascadeConfig;
  /** The artefacts of the config's tasks (`LoadedConfig.calibrations`). */
  calibrations?: Readonly<Record<string, CalibrationArtefact>>;
  /** Each request's task and recorded row, by request id. */
  rows: ReadonlyMap<string, { task: string; row: DemoRow }>;
  traces: readonly Trace[];
  /** Traces of the shadow children (`<request-id>:shadow`), if any. */
  shadowChildren?: readonly Trace[];
}

interface Outcome {
  answer?: unknown;
  correct?: unknown;
}

/** The row's recorded outcome of a model, by the model's config id (or the endpoint's model name). */
function outcomeOf(config: CascadeConfig, row: DemoRow, modelId: string): Outcome | undefined {
  const models = row.models;
  if (!models || typeof models !== 'object') return undefined;
  const byName = models as Record<string, Outcome>;
  const names = [modelId, config.models[modelId]?.model].filter((n): n is string => !!n);
  const name = names.find((n) => Object.hasOwn(byName, n));
  return name === undefined ? undefined : byName[name];
}

/** Whether the served answer was right, by its recorded label; null when it cannot be graded. */
export function servedCorrect(config: CascadeConfig, row: DemoRow, trace: Trace): boolean | null {
  if (trace.status !== 'answered' || trace.final.model === null || trace.final.answer === null) return null;
  const o = outcomeOf(config, row, trace.final.model);
  if (!o || typeof o.correct !== 'boolean' || typeof o.answer !== 'string') return null;
  return o.answer.trim() === trace.final.answer.trim() ? o.correct : null;
}

/** Whether a model (alone) was right on the row, by its label; null without one. */
export function labelOf(config: CascadeConfig, row: DemoRow, model: string): boolean | null {
  const o = outcomeOf(config, row, model);
  return o && typeof o.correct === 'boolean' ? o.correct : null;
}

export function taskVerdicts(input: VerdictInput): TaskVerdict[] {
  const { config, rows } = input;
  const byTask = new Map<string, Trace[]>();
  for (const t of input.traces) {
    const task = rows.get(t.requestId)?.task;
    if (task === undefined) continue;
    const list = byTask.get(task);
    if (list) list.push(t);
    else byTask.set(task, [t]);
  }
  const childrenOf = new Map<string, Trace>();
  for (const c of input.shadowChildren ?? []) {
    if (c.shadow?.role === 'child') childrenOf.set(c.shadow.parentWorkflowId, c);
  }
  return [...byTask].map(([task, traces]) => {
    const taskConfig = config.tasks[task];
    const largeModel = taskConfig?.baseline ?? taskConfig?.rungs[taskConfig.rungs.length - 1]?.model ?? '?';
    const children = traces.map((t) => childrenOf.get(t.requestId)).filter((c): c is Trace => !!c);
    const summary = summarize([...traces], { shadowChildren: children });
    let labelled = 0;
    let right = 0;
    let largeRight = 0;
    for (const t of traces) {
      const row = rows.get(t.requestId)!.row;
      const served = servedCorrect(config, row, t);
      const large = labelOf(config, row, largeModel);
      if (served === null || large === null) continue;
      labelled++;
      if (served) right++;
      if (large) largeRight++;
    }
    const wouldHaveSaved = children
      .map((c) => (c.shadow?.role === 'child' ? c.shadow.wouldHaveSavedUsd : null))
      .filter((x): x is number => x !== null);
    const artefact =
      taskConfig?.calibration !== undefined && input.calibrations && Object.hasOwn(input.calibrations, task)
        ? input.calibrations[task]
        : undefined;
    const verdict: Omit<TaskVerdict, 'kind' | 'text'> = {
      task,
      route: taskConfig?.route ?? '?',
      largeModel,
      summary,
      servedCheaper: traces.filter(
        (t) => t.status === 'answered' && t.final.model !== null && t.final.model !== largeModel,
      ).length,
      spentUsd: summary.costUsd + summary.shadowCostUsd + summary.orchestrationCostUsd,
      labelled,
      accuracy: labelled ? right / labelled : null,
      largeAccuracy: labelled ? largeRight / labelled : null,
      target: artefact?.target.relativeQuality ?? DEFAULT_TARGET,
      shadowWouldHaveSavedUsd: wouldHaveSaved.length ? wouldHaveSaved.reduce((a, b) => a + b, 0) : null,
      classifier: classifierSeparation(config, traces, rows, taskConfig?.rungs[0]?.model),
    };
    const shadowed = traces.some(
      (t) => t.shadow?.role === 'parent' || t.policy.servedAs === 'baseline-shadow',
    );
    const skippedAlways = (artefact?.rungs ?? [])
      .filter((r) => r.skip?.kind === 'always')
      .map((r) => r.model);
    return {
      ...verdict,
      ...judge(verdict, { shadowed, skippedAlways, recommendation: artefact?.recommendation }),
    };
  });
}

function classifierSeparation(
  config: CascadeConfig,
  traces: readonly Trace[],
  rows: VerdictInput['rows'],
  model: string | undefined,
): TaskVerdict['classifier'] {
  if (model === undefined) return null;
  const scores: number[] = [];
  const right: boolean[] = [];
  for (const t of traces) {
    const p = t.decision?.classifierVersion.startsWith('clf-') ? t.decision.predicted?.[0] : undefined;
    const label = labelOf(config, rows.get(t.requestId)!.row, model);
    if (typeof p !== 'number' || !Number.isFinite(p) || label === null) continue;
    scores.push(p);
    right.push(label);
  }
  const a = scores.length ? auc(scores, right) : NaN;
  return Number.isFinite(a) ? { model, auc: a, rows: scores.length } : null;
}

function judge(
  v: Omit<TaskVerdict, 'kind' | 'text'>,
  ctx: {
    shadowed: boolean;
    skippedAlways: string[];
    recommendation: { route: string; model?: string | null } | undefined;
  },
): { kind: VerdictKind; text: string } {
  const s = v.summary;
  const usd = formatUsd;
  const accuracy =
    v.accuracy === null || v.largeAccuracy === null
      ? 'no labels to grade the answers'
      : `accuracy ${formatPct(v.accuracy)} against ${formatPct(v.largeAccuracy)} for ${v.largeModel} alone (${v.labelled} labelled rows)`;
  if (v.route === 'static') {
    return {
      kind: 'not-routed',
      text:
        `not routed: one model (${v.largeModel}), so nothing to save; the orchestration ` +
        `(${usd(s.orchestrationCostUsd)}) is all the router adds`,
    };
  }
  if (ctx.shadowed) {
    const saved = v.shadowWouldHaveSavedUsd;
    const would =
      saved === null
        ? ''
        : `; the shadows say the routed path's model calls would have cost ${usd(Math.abs(saved))} ` +
          `${saved >= 0 ? 'less' : 'more'} than the served ones`;
    return {
      kind: 'shadow',
      text:
        `shadow mode pays nothing by design: ${v.largeModel} serves, and the shadow runs (${usd(s.shadowCostUsd)}) ` +
        `and the orchestration (${usd(s.orchestrationCostUsd)}) come on top${would}`,
    };
  }
  if (s.savingsUsd <= 0) {
    const onlyOrchestration = `the orchestration (${usd(s.orchestrationCostUsd)}) is all the router adds`;
    const skipped =
      ctx.skippedAlways.length > 0
        ? `the calibration skips ${ctx.skippedAlways.join(', ')} on every request` +
          (ctx.recommendation?.route === 'static'
            ? ` (its verdict: route static with ${ctx.recommendation.model ?? v.largeModel})`
            : '') +
          ', so '
        : '';
    const why =
      v.servedCheaper === 0
        ? `${skipped}no request was served by a cheaper model and ${onlyOrchestration}`
        : `the model calls and the orchestration cost more than ${v.largeModel} alone`;
    return { kind: 'does-not-pay', text: `does not pay: ${why}; ${accuracy}` };
  }
  const saves = `saves ${formatPct(s.savingsPct)} of the large-only cost`;
  if (v.accuracy !== null && v.largeAccuracy !== null && v.accuracy < v.target * v.largeAccuracy) {
    return {
      kind: 'saves-but-loses-accuracy',
      text: `${saves}, but loses accuracy: ${accuracy}, below ${formatPct(v.target)} of it`,
    };
  }
  return { kind: 'pays', text: `pays: ${saves}; ${accuracy}` };
}

type Cell = string;

/** The verdicts as a table (one line per task) and one sentence per task. */
export function formatVerdicts(verdicts: readonly TaskVerdict[]): string {
  const header: Cell[] = [
    'task',
    'route',
    'requests',
    'cheaper',
    'spent',
    'large-only',
    'savings',
    '',
    'accuracy',
    'large-only',
  ];
  const body: Cell[][] = verdicts.map((v) => [
    v.task,
    v.route,
    String(v.summary.requests),
    String(v.servedCheaper),
    formatUsd(v.spentUsd),
    formatUsd(v.summary.baselineCostUsd),
    formatUsd(v.summary.savingsUsd),
    formatPct(v.summary.savingsPct),
    v.accuracy === null ? '-' : formatPct(v.accuracy),
    v.largeAccuracy === null ? '-' : formatPct(v.largeAccuracy),
  ]);
  const rows = [header, ...body];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const left = new Set([0, 1]);
  const line = (r: Cell[]) =>
    r
      .map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const estimated = verdicts.filter((v) => v.summary.baselineEstimatedShare > 0);
  return [
    'Does routing pay? Each task against its strongest model answering alone (large-only)',
    '  cheaper: requests served by a cheaper model; spent: model calls + shadow runs + orchestration;',
    "  accuracy: the recorded labels of the served answers, and of the strongest model's on the same rows",
    ...rows.map((r) => `  ${line(r)}`),
    ...(estimated.length
      ? [
          `  large-only is estimated from tokens where the strongest model was not called: ${estimated
            .map((v) => `${v.task} ${formatPct(v.summary.baselineEstimatedShare)}`)
            .join(', ')}`,
        ]
      : []),
    'Verdicts',
    ...verdicts.flatMap((v) => [
      `  ${v.task}: ${v.text}`,
      ...(v.classifier
        ? [
            `  ${v.task}: on these ${v.classifier.rows} rows the pre-route classifier's P(good) for ${v.classifier.model} ` +
              `separates its right answers from its wrong ones with AUC ${v.classifier.auc.toFixed(2)} (0.50 is chance)`,
          ]
        : []),
    ]),
  ].join('\n');
}
