/**
 * The pre-route classifier: L2-regularised logistic regression over a prompt's features
 * (src/request/router/features.ts: standardised structural features + hashed word n-grams), one binary
 * head per ladder model predicting P(that model's answer is good enough), and optionally a
 * one-vs-rest head set for the task type. Trained on OUTCOMES (was the model right?), never on
 * inputs alone. Pure and dependency-free: training runs in `cascade calibrate` and the routing
 * benchmark, prediction in the classify activity, from the same code.
 *
 * Training minimises mean log loss + (l2 / 2) |w|^2 (the bias is not penalised) by Nesterov-
 * accelerated gradient descent with adaptive restart, a fixed number of full-batch iterations
 * from zero: deterministic, no randomness at all. Weights are rounded to 6 significant digits
 * when a head is built, so the model that is evaluated is exactly the one that is serialised.
 */
import {
  type HashingOptions,
  type PromptFeatures,
  STRUCTURAL_FEATURE_NAMES,
  type StructuralFeatures,
} from './features';

export interface LogisticHead {
  bias: number;
  /** One weight per standardised structural feature, in `ClassifierModel.structural.names` order. */
  structural: number[];
  /** Non-zero weights of the hashed lexical buckets: [bucket, weight] pairs, ascending by bucket. */
  lexical: [number, number][];
}

export interface HeadReport {
  /** The L2 strength chosen by cross-validated log loss. */
  l2: number;
  rows: number;
  positives: number;
  /**
   * Out-of-fold scores of the chosen strength, against always predicting the base rate. With
   * soft targets: cross-entropy against them, and the AUC on the rows whose target is not 0.5.
   */
  heldOut: { logLoss: number; baseLogLoss: number; auc: number | null };
  /**
   * Trained on soft targets in [0, 1] (absent: on booleans, as every head before it). fit.ts's
   * heads: (1 + small right - reference right) / 2, so the head's P is the expected accuracy
   * advantage of the model over the reference, mapped to [0, 1] (0.5: none expected).
   */
  softTargets?: true;
}

export interface ClassifierModel {
  kind: 'logistic-l2';
  /** `clf-` + a content hash, assigned when the artefact is written; '' before. */
  version: string;
  hashing: HashingOptions;
  /** Structural features go through log(1 + x), then (x - mean) / scale. */
  structural: { names: string[]; mean: number[]; scale: number[] };
  /**
   * P(the model's answer is good enough), by ladder model name; for a head with
   * `report.softTargets`, how good its answer is expected to be against the reference's (see
   * HeadReport.softTargets). Either way a higher value favours the model; the skip points are
   * quantiles of the values, chosen on data.
   */
  heads: Record<string, LogisticHead & { report: HeadReport }>;
  /** One-vs-rest task-type heads, when the training data had two or more task families. */
  taskType: { labels: string[]; heads: LogisticHead[] } | null;
}

// ---------------------------------------------------------------------------------------------
// Design matrix

/** One example as a sparse row over [structural (dense, S) | lexical buckets (D)]. */
export interface DesignRow {
  idx: Int32Array;
  val: Float64Array;
}

export interface Standardiser {
  names: string[];
  mean: number[];
  scale: number[];
}

function squash(x: number): number {
  return Math.log1p(Math.max(0, x));
}

export function fitStandardiser(features: readonly PromptFeatures[]): Standardiser {
  const names = [...STRUCTURAL_FEATURE_NAMES] as string[];
  const mean = names.map(() => 0);
  const sq = names.map(() => 0);
  for (const f of features) {
    names.forEach((name, j) => {
      const v = squash(f.structural[name as keyof StructuralFeatures]);
      mean[j]! += v;
      sq[j]! += v * v;
    });
  }
  const n = Math.max(1, features.length);
  const scale = names.map((_, j) => {
    const m = mean[j]! / n;
    const variance = Math.max(0, sq[j]! / n - m * m);
    return variance > 1e-12 ? round6(Math.sqrt(variance)) : 1;
  });
  return { names, mean: mean.map((s) => round6(s / n)), scale };
}

export function designRow(f: PromptFeatures, std: Standardiser): DesignRow {
  const s = std.names.length;
  const idx = new Int32Array(s + f.lexical.indices.length);
  const val = new Float64Array(idx.length);
  // The structural block is scaled to unit expected squared norm, like the lexical block (a
  // unit vector), so one L2 strength regularises both alike instead of letting a few dense
  // standardised columns dominate.
  const blockScale = 1 / Math.sqrt(Math.max(1, s));
  for (let j = 0; j < s; j++) {
    idx[j] = j;
    val[j] =
      ((squash(f.structural[std.names[j] as keyof StructuralFeatures]) - std.mean[j]!) / std.scale[j]!) *
      blockScale;
  }
  for (let k = 0; k < f.lexical.indices.length; k++) {
    idx[s + k] = s + f.lexical.indices[k]!;
    val[s + k] = f.lexical.values[k]!;
  }
  return { idx, val };
}

// ---------------------------------------------------------------------------------------------
// Training

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function round6(x: number): number {
  return x === 0 || !Number.isFinite(x) ? 0 : Number(x.toPrecision(6));
}

export interface TrainOptions {
  l2: number;
  iterations?: number;
  /** Per-example weights (default 1). */
  weights?: readonly number[];
}

/** Dense weights of a trained binary head over the design columns, plus its bias. */
export interface DenseHead {
  bias: number;
  w: Float64Array;
}

/** L2-regularised logistic regression by accelerated full-batch gradient descent (deterministic). */
export function trainLogistic(
  rows: readonly DesignRow[],
  ys: readonly boolean[],
  dim: number,
  opts: TrainOptions,
): DenseHead {
  const n = rows.length;
  const iterations = opts.iterations ?? 300;
  const l2 = opts.l2;
  const wts = opts.weights ?? null;
  const totalWeight = wts ? wts.reduce((s, x) => s + x, 0) : n;
  // Step size from a bound on the Hessian's largest eigenvalue: 0.25 max |x|^2 + l2 (+1 for the bias).
  let maxNorm = 0;
  for (const r of rows) {
    let s = 1;
    for (let k = 0; k < r.val.length; k++) s += r.val[k]! * r.val[k]!;
    if (s > maxNorm) maxNorm = s;
  }
  const step = 1 / (0.25 * maxNorm + l2);

  let w = new Float64Array(dim);
  let b = 0;
  let wPrev = new Float64Array(dim);
  let bPrev = 0;
  const yv = new Float64Array(dim); // look-ahead point
  const grad = new Float64Array(dim);
  let t = 1;
  let lastLoss = Infinity;

  const lossAt = (ww: Float64Array, bb: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      let z = bb;
      for (let k = 0; k < r.idx.length; k++) z += ww[r.idx[k]!]! * r.val[k]!;
      const p = sigmoid(z);
      const li = ys[i] ? -Math.log(Math.max(p, 1e-15)) : -Math.log(Math.max(1 - p, 1e-15));
      s += (wts ? wts[i]! : 1) * li;
    }
    let reg = 0;
    for (let j = 0; j < dim; j++) reg += ww[j]! * ww[j]!;
    return s / totalWeight + 0.5 * l2 * reg;
  };

  for (let it = 0; it < iterations; it++) {
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const momentum = (t - 1) / tNext;
    for (let j = 0; j < dim; j++) yv[j] = w[j]! + momentum * (w[j]! - wPrev[j]!);
    const yb = b + momentum * (b - bPrev);
    grad.fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      let z = yb;
      for (let k = 0; k < r.idx.length; k++) z += yv[r.idx[k]!]! * r.val[k]!;
      const e = ((wts ? wts[i]! : 1) * (sigmoid(z) - (ys[i] ? 1 : 0))) / totalWeight;
      gb += e;
      for (let k = 0; k < r.idx.length; k++) grad[r.idx[k]!]! += e * r.val[k]!;
    }
    const next = wPrev; // reuse the buffer
    for (let j = 0; j < dim; j++) next[j] = yv[j]! - step * (grad[j]! + l2 * yv[j]!);
    const nb = yb - step * gb;
    wPrev = w;
    bPrev = b;
    w = next;
    b = nb;
    t = tNext;
    // Adaptive restart (O'Donoghue & Candès): drop the momentum when the objective goes up.
    if ((it & 7) === 7) {
      const loss = lossAt(w, b);
      if (loss > lastLoss) t = 1;
      lastLoss = loss;
    }
  }
  return { bias: b, w };
}

export function predictDense(head: DenseHead, row: DesignRow): number {
  let z = head.bias;
  for (let k = 0; k < row.idx.length; k++) z += head.w[row.idx[k]!]! * row.val[k]!;
  return sigmoid(z);
}

/** A dense head as the serialised form: rounded weights, lexical ones sparse. */
export function toLogisticHead(head: DenseHead, structuralCount: number): LogisticHead {
  const structural: number[] = [];
  for (let j = 0; j < structuralCount; j++) structural.push(round6(head.w[j]!));
  const lexical: [number, number][] = [];
  for (let j = structuralCount; j < head.w.length; j++) {
    const v = round6(head.w[j]!);
    if (v !== 0 && Math.abs(v) >= 1e-7) lexical.push([j - structuralCount, v]);
  }
  return { bias: round6(head.bias), structural, lexical };
}

export function toDenseHead(head: LogisticHead, structuralCount: number, buckets: number): DenseHead {
  const w = new Float64Array(structuralCount + buckets);
  head.structural.forEach((v, j) => (w[j] = v));
  for (const [bucket, v] of head.lexical) w[structuralCount + bucket] = v;
  return { bias: head.bias, w };
}

// ---------------------------------------------------------------------------------------------
// Prediction (the classify activity)

export interface CompiledClassifier {
  model: ClassifierModel;
  std: Standardiser;
  heads: Map<string, DenseHead>;
  taskType: { labels: string[]; heads: DenseHead[] } | null;
}

export function compileClassifier(model: ClassifierModel): CompiledClassifier {
  const s = model.structural.names.length;
  const buckets = 1 << model.hashing.bits;
  return {
    model,
    std: model.structural,
    heads: new Map(Object.entries(model.heads).map(([m, h]) => [m, toDenseHead(h, s, buckets)])),
    taskType: model.taskType
      ? { labels: model.taskType.labels, heads: model.taskType.heads.map((h) => toDenseHead(h, s, buckets)) }
      : null,
  };
}

export interface ClassifierPrediction {
  /** P(good enough) per requested model, null for a model the classifier has no head for. */
  rungs: (number | null)[];
  taskType: { label: string; p: number } | null;
}

export function predictWithClassifier(
  c: CompiledClassifier,
  features: PromptFeatures,
  models: readonly string[],
): ClassifierPrediction {
  const row = designRow(features, c.std);
  const rungs = models.map((m) => {
    const head = c.heads.get(m);
    return head ? predictDense(head, row) : null;
  });
  let taskType: ClassifierPrediction['taskType'] = null;
  if (c.taskType) {
    const ps = c.taskType.heads.map((h) => predictDense(h, row));
    const total = ps.reduce((s, p) => s + p, 0) || 1;
    let best = 0;
    for (let k = 1; k < ps.length; k++) if (ps[k]! > ps[best]!) best = k;
    taskType = { label: c.taskType.labels[best]!, p: ps[best]! / total };
  }
  return { rungs, taskType };
}
