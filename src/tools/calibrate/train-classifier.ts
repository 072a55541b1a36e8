/**
 * Training the pre-route classifier on recorded outcomes: one logistic head per ladder model
 * (was its answer right?), its L2 strength chosen by k-fold cross-validated log loss, and the
 * out-of-fold predictions of that strength returned beside the model. Threshold and skip-point
 * selection must use those out-of-fold predictions: a model scored on its own training rows
 * looks far more certain than it will be on new traffic.
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
import { auc, meanLogLoss } from './metrics';
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

export function trainClassifier(
  features: readonly PromptFeatures[],
  outcomes: Record<string, readonly boolean[]>,
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

function fitHead(
  rows: readonly DesignRow[],
  ys: readonly boolean[],
  dim: number,
  s: number,
  fold: readonly number[],
  folds: number,
  l2Grid: readonly number[],
  iterations: number,
): { head: LogisticHead; report: HeadReport; oof: number[] } {
  const n = rows.length;
  const positives = ys.filter(Boolean).length;
  const buckets = dim - s;
  let best: { l2: number; loss: number; oof: number[] } | null = null;
  for (const l2 of l2Grid) {
    const oof = new Array<number>(n).fill(NaN);
    for (let k = 0; k < folds; k++) {
      const trainIdx: number[] = [];
      for (let i = 0; i < n; i++) if (fold[i] !== k) trainIdx.push(i);
      if (trainIdx.length === n) continue;
      const trained = trainLogistic(
        trainIdx.map((i) => rows[i]!),
        trainIdx.map((i) => ys[i]!),
        dim,
        { l2, iterations },
      );
      // Score with the rounded (serialisable) weights, as the final model will be.
      const rounded = toDenseHead(toLogisticHead(trained, s), s, buckets);
      for (let i = 0; i < n; i++) if (fold[i] === k) oof[i] = predictDense(rounded, rows[i]!);
    }
    const loss = meanLogLoss(oof, ys);
    if (!best || loss < best.loss) best = { l2, loss, oof };
  }
  const head = toLogisticHead(trainLogistic(rows, ys, dim, { l2: best!.l2, iterations }), s);
  const base = positives / Math.max(1, n);
  const a = auc(best!.oof, ys);
  return {
    head,
    oof: best!.oof,
    report: {
      l2: best!.l2,
      rows: n,
      positives,
      heldOut: {
        logLoss: round4(best!.loss),
        baseLogLoss: round4(meanLogLoss(new Array<number>(n).fill(base), ys)),
        auc: Number.isNaN(a) ? null : round4(a),
      },
    },
  };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
