/**
 * Training the pre-route classifier on recorded outcomes: one logistic head per ladder model
 * (was its answer right?), its L2 strength chosen by k-fold cross-validated log loss, and the
 * out-of-fold predictions of that strength returned beside the model. Threshold and skip-point
 * selection must use those out-of-fold predictions: a model scored on its own training rows
 * looks far more certain than it will be on new traffic.
 *
 * A head's targets are booleans, or soft targets in [0, 1] (cross-entropy against the soft
 * label: each row counts as a positive with weight t and a negative with weight 1 - t), e.g.
 * fit.ts's `(1 + small right - reference right) / 2`, whose expectation ranks requests by the
 * accuracy gap a stronger model would recover, which is what a router is judged on.
 */
import type { HashingOptions, PromptFeatures } from '../../request/router/features';
import {
  type ClassifierModel,
  designRow,
  type DesignRow,
  fitStandardiser,
  type HeadReport,
  type LogisticHead,
  predictDense,
  toLogisticHead,
  trainLogistic,
  toDenseHead,
} from '../../request/router/classifier';
import { auc, logLoss } from './metrics';
import { foldAssignment } from '../../request/router/random';

export interface ClassifierTrainingOptions {
  hashing: HashingOptions;
  folds?: number;
  seed?: number;
  /** Candidate L2 strengths; the one with the lowest out-of-fold log loss is kept. */
  l2Grid?: number[];
  iterations?: number;
  /** Task-type heads are trained when the rows have 2..maxTaskTypes task families. */
  maxTaskTypes?: number;
}

export interface TrainedClassifier {
  model: ClassifierModel;
  /** Out-of-fold P(good enough) per model, per training row. */
  outOfFold: Record<string, number[]>;
}

/** The task family of a data row's task: `mmlu/abstract_algebra` -> `mmlu`. */
export function taskFamily(task: string): string {
  return task.split('/')[0] ?? task;
}

/** A head's training targets: booleans, or soft targets in [0, 1]. */
export type HeadTargets = readonly boolean[] | readonly number[];

export function trainClassifier(
  features: readonly PromptFeatures[],
  outcomes: Record<string, HeadTargets>,
  tasks: readonly string[],
  opts: ClassifierTrainingOptions,
): TrainedClassifier {
  const folds = opts.folds ?? 5;
  const seed = opts.seed ?? 1;
  const l2Grid = opts.l2Grid ?? [0.03, 0.003, 0.0003];
  const iterations = opts.iterations ?? 300;
  const std = fitStandardiser(features);
  const s = std.names.length;
  const dim = s + (1 << opts.hashing.bits);
  const rows = features.map((f) => designRow(f, std));
  const fold = foldAssignment(rows.length, folds, seed);

  const heads: ClassifierModel['heads'] = {};
  const outOfFold: Record<string, number[]> = {};
  for (const [model, ys] of Object.entries(outcomes)) {
    const fitted = fitHead(rows, ys, dim, s, fold, folds, l2Grid, iterations);
    heads[model] = { ...fitted.head, report: fitted.report };
    outOfFold[model] = fitted.oof;
  }

  let taskType: ClassifierModel['taskType'] = null;
  const families = tasks.map(taskFamily);
  const labels = [...new Set(families)].sort();
  if (labels.length >= 2 && labels.length <= (opts.maxTaskTypes ?? 16)) {
    const l2 = l2Grid[Math.floor(l2Grid.length / 2)]!;
    taskType = {
      labels,
      heads: labels.map((label) =>
        toLogisticHead(
          trainLogistic(
            rows,
            families.map((f) => f === label),
            dim,
            { l2, iterations },
          ),
          s,
        ),
      ),
    };
  }
  return {
    model: {
      kind: 'logistic-l2',
      version: '',
      hashing: { ...opts.hashing },
      structural: std,
      heads,
      taskType,
    },
    outOfFold,
  };
}

/** Targets as numbers in [0, 1] (a boolean is 0 or 1). */
function softTargets(ys: HeadTargets): number[] {
  return Array.from(ys as readonly (boolean | number)[], (y) => {
    const t = typeof y === 'boolean' ? (y ? 1 : 0) : y;
    if (!(t >= 0 && t <= 1)) throw new Error(`a head's target must be a boolean or in [0, 1], got ${y}`);
    return t;
  });
}

/**
 * Rows as trainLogistic takes them: a row with target t once as a positive of weight t and once
 * as a negative of weight 1 - t (a weight of 0 left out); with boolean targets, the rows as they are.
 */
function expandRows(
  rows: readonly DesignRow[],
  ts: readonly number[],
  idx: readonly number[],
): { rows: DesignRow[]; ys: boolean[]; weights?: number[] } {
  if (idx.every((i) => ts[i] === 0 || ts[i] === 1)) {
    return { rows: idx.map((i) => rows[i]!), ys: idx.map((i) => ts[i] === 1) };
  }
  const out: DesignRow[] = [];
  const ys: boolean[] = [];
  const weights: number[] = [];
  for (const i of idx) {
    const t = ts[i]!;
    if (t > 0) {
      out.push(rows[i]!);
      ys.push(true);
      weights.push(t);
    }
    if (t < 1) {
      out.push(rows[i]!);
      ys.push(false);
      weights.push(1 - t);
    }
  }
  return { rows: out, ys, weights };
}

/** Mean cross-entropy of predictions against (soft) targets, clipped as meanLogLoss clips. */
function softLogLoss(ps: readonly number[], ts: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < ps.length; i++)
    s += ts[i]! * logLoss(ps[i]!, true) + (1 - ts[i]!) * logLoss(ps[i]!, false);
  return ps.length ? s / ps.length : NaN;
}

function fitHead(
  rows: readonly DesignRow[],
  targets: HeadTargets,
  dim: number,
  s: number,
  fold: readonly number[],
  folds: number,
  l2Grid: readonly number[],
  iterations: number,
): { head: LogisticHead; report: HeadReport; oof: number[] } {
  const n = rows.length;
  const ts = softTargets(targets);
  const soft = ts.some((t) => t !== 0 && t !== 1);
  const positives = ts.filter((t) => t > 0.5).length;
  const buckets = dim - s;
  const all = rows.map((_, i) => i);
  let best: { l2: number; loss: number; oof: number[] } | null = null;
  for (const l2 of l2Grid) {
    const oof = new Array<number>(n).fill(NaN);
    for (let k = 0; k < folds; k++) {
      const trainIdx: number[] = [];
      for (let i = 0; i < n; i++) if (fold[i] !== k) trainIdx.push(i);
      if (trainIdx.length === n) continue;
      const part = expandRows(rows, ts, trainIdx);
      const trained = trainLogistic(part.rows, part.ys, dim, { l2, iterations, weights: part.weights });
      // Score with the rounded (serialisable) weights, as the final model will be.
      const rounded = toDenseHead(toLogisticHead(trained, s), s, buckets);
      for (let i = 0; i < n; i++) if (fold[i] === k) oof[i] = predictDense(rounded, rows[i]!);
    }
    const loss = softLogLoss(oof, ts);
    if (!best || loss < best.loss) best = { l2, loss, oof };
  }
  const whole = expandRows(rows, ts, all);
  const head = toLogisticHead(
    trainLogistic(whole.rows, whole.ys, dim, { l2: best!.l2, iterations, weights: whole.weights }),
    s,
  );
  const base = ts.reduce((a, t) => a + t, 0) / Math.max(1, n);
  // AUC on the rows whose target says which way (t != 0.5): with soft targets, the rows where
  // the two answers differ.
  const decisive = all.filter((i) => ts[i] !== 0.5);
  const a = auc(
    decisive.map((i) => best!.oof[i]!),
    decisive.map((i) => ts[i]! > 0.5),
  );
  return {
    head,
    oof: best!.oof,
    report: {
      l2: best!.l2,
      rows: n,
      positives,
      heldOut: {
        logLoss: round4(best!.loss),
        baseLogLoss: round4(softLogLoss(new Array<number>(n).fill(base), ts)),
        auc: Number.isNaN(a) ? null : round4(a),
      },
      ...(soft ? { softTargets: true } : {}),
    },
  };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
