/**
 * The calibration artefact `cascade calibrate` writes and a task points to (`calibration:` in
 * cascade.config.yaml): per rung its calibration map, threshold and skip rule; the pre-route
 * classifier; what it was fitted on; the target, the confidence and the chosen operating point;
 * the cost/quality curve; the recommendation (which may be "don't route"); and, optionally, the
 * training rows' feature distribution (the input-drift reference). Versioned by content:
 * `version` = `cal-` + 12 hex digits of sha256 over the canonical JSON of everything but `version`
 * and `createdAt` (src/request/config-file/artefact-file.ts computes it), and the classifier has its own
 * `clf-` version likewise. The same content always has the same version, so a trace's
 * `calibrationVersion` names exactly what decided it.
 *
 * Two formats load:
 * - format 2 (written now): the learn-then-test guarantee (guarantee.ts, select.ts): the
 *   candidates considered, the split into a fit part and a test part, each tested policy's exact
 *   p-value, the chosen ladder (any cheapest-first subset of the candidates, one model included);
 * - format 1 (written before): a percentile-bootstrap bound computed on the rows that were also
 *   fitted on, a fixed ladder. Its maps, thresholds, skips and classifier still decide exactly as
 *   they did; only its stated confidence is the older, approximate one (`target.bound`).
 *
 * Pure: the schema, the types and the canonical JSON. Reading and writing files is elsewhere.
 */
import { z } from 'zod';
import { CONFIDENCE_SOURCES, type ConfidenceSource } from '../../config/schema';
import type { ClassifierModel } from '../classifier';
import type { CalibrationMap } from '../policy';
import type { RungSkip } from '../rung-decision';

export interface Recommendation {
  route: 'cascade' | 'static';
  /** The model a static route should serve with. */
  model: string | null;
  reason: string;
}

export const ARTEFACT_KIND = 'cascade-calibration';
/** The format `cascade calibrate` writes; format 1 artefacts still load. */
export const ARTEFACT_FORMAT = 2;

/** Confidence kinds of labelled data (`confidence_kind`) and the rung confidence source each calibrates. */
export const CONFIDENCE_KIND_SOURCES: Record<string, ConfidenceSource> = {
  answer_logprob: 'answer_logprob',
  mean_logprob: 'mean_logprob',
  min_logprob: 'min_logprob',
  self_check_log_p_yes: 'self_check',
  self_check: 'self_check',
  judge_score: 'judge',
  judge: 'judge',
};

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const unit = z.number().min(0).max(1);

export const calibrationMapSchema = z.union([
  z.object({ kind: z.literal('identity') }),
  z
    .object({ kind: z.literal('piecewise'), x: z.array(finite).min(1), y: z.array(unit).min(1) })
    .refine((m) => m.x.length === m.y.length, 'x and y must have the same length')
    .refine((m) => m.x.every((v, i) => i === 0 || v >= m.x[i - 1]!), 'x must be sorted ascending'),
  z.object({ kind: z.literal('platt'), a: finite, b: finite }),
]);

export const rungSkipSchema = z.union([
  z.object({ kind: z.literal('always') }),
  z.object({ kind: z.literal('below'), predicted: unit }),
]);

const logisticHeadSchema = z.object({
  bias: finite,
  structural: z.array(finite),
  lexical: z.array(z.tuple([z.number().int().nonnegative(), finite])),
});

export const classifierSchema = z.object({
  kind: z.literal('logistic-l2'),
  version: z.string().regex(/^clf-[0-9a-f]{12}$/, 'must be clf- and 12 hex digits'),
  hashing: z.object({
    bits: z.number().int().min(4).max(24),
    ngrams: z.array(z.number().int().min(1).max(3)),
  }),
  structural: z.object({ names: z.array(z.string()), mean: z.array(finite), scale: z.array(finite) }),
  heads: z.record(
    z.string(),
    logisticHeadSchema.extend({
      report: z.object({
        l2: finite,
        rows: z.number().int(),
        positives: z.number().int(),
        heldOut: z.object({ logLoss: finite, baseLogLoss: finite, auc: finite.nullable() }),
        /** Added with soft targets; absent in artefacts written before (boolean targets). */
        softTargets: z.literal(true).optional(),
      }),
    }),
  ),
  taskType: z.object({ labels: z.array(z.string()), heads: z.array(logisticHeadSchema) }).nullable(),
});

const interval = z.tuple([z.number(), z.number()]);

export const artefactRungSchema = z.object({
  model: z.string().min(1),
  /** The labelled data's `confidence_kind` this rung was calibrated on; null: no confidence. */
  confidenceKind: z.string().nullable(),
  /** The rung confidence source that kind corresponds to. */
  confidence: z.enum(CONFIDENCE_SOURCES).nullable(),
  calibration: calibrationMapSchema,
  calibrationFit: z
    .object({
      chosen: z.enum(['isotonic', 'platt']),
      heldOutLogLoss: z.object({ isotonic: finite, platt: finite }),
      folds: z.number().int(),
      rows: z.number().int(),
      positives: z.number().int(),
    })
    .nullable(),
  threshold: unit.nullable(),
  skip: rungSkipSchema.nullable(),
});

const pointSchema = z.object({
  relativeQuality: z.number(),
  lowerBound: z.number().optional(),
  relativeCost: z.number(),
  escalationRate: z.number(),
  skipRate: z.number(),
});

const count = z.number().int().nonnegative();
const ascending = (xs: number[]) => xs.every((v, i) => i === 0 || v > xs[i - 1]!);
const sumIs = (b: { counts: number[]; n: number }) => b.counts.reduce((s, c) => s + c, 0) === b.n;

/** A feature's distribution as PSI bins it (feature-bins.ts, ReferenceBins). */
export const referenceBinsSchema = z.union([
  z
    .object({
      binning: z.literal('value'),
      values: z.array(finite).min(1),
      counts: z.array(count),
      n: count.positive(),
    })
    .refine((b) => b.counts.length === b.values.length, 'one count per value')
    .refine((b) => ascending(b.values), 'values must be distinct and ascending')
    .refine(sumIs, 'n must be the sum of counts'),
  z
    .object({
      binning: z.literal('quantile'),
      edges: z.array(finite),
      counts: z.array(count),
      n: count.positive(),
    })
    .refine((b) => b.counts.length === b.edges.length + 1, 'one count more than edges')
    .refine((b) => ascending(b.edges), 'edges must be distinct and ascending')
    .refine(sumIs, 'n must be the sum of counts'),
]);

/**
 * The distribution of the request features the classify activity records (structural features
 * and `complexity`, as in the ledger's `features`) over the training rows: what drift_input
 * compares a task's traffic with. Optional: artefacts written before it load (and hash) unchanged.
 */
export const featureSnapshotSchema = z.object({
  rows: count,
  features: z.record(z.string(), referenceBinsSchema),
});

const staticOptionSchema = z.object({
  model: z.string(),
  rung: z.number().int(),
  relativeQuality: z.number(),
  relativeCost: z.number(),
  lowerBound: z.number(),
});

const chosenSchema = pointSchema.extend({
  thresholds: z.array(z.number().nullable()),
  accuracy: z.number(),
  largeAccuracy: z.number(),
  meanCostUsd: z.number(),
  largeOnlyMeanCostUsd: z.number(),
  intervals: z.object({
    relativeQuality: interval,
    relativeCost: interval,
    savings: interval,
    escalationRate: interval,
  }),
});

const common = {
  kind: z.literal(ARTEFACT_KIND),
  version: z.string().regex(/^cal-[0-9a-f]{12}$/, 'must be cal- and 12 hex digits'),
  createdAt: z.string().optional(),
  tool: z.string(),
  training: z.object({
    files: z.array(z.object({ name: z.string(), rows: z.number().int(), sha256: z.string() })),
    rows: z.number().int(),
  }),
  classifier: classifierSchema.nullable(),
  recommendation: z.object({
    route: z.enum(['cascade', 'static']),
    model: z.string().nullable(),
    reason: z.string(),
  }),
  /** Absent in artefacts written before it: absent is not hashed (canonicalJson drops undefined). */
  featureSnapshot: featureSnapshotSchema.optional(),
};

/** Format 1: the percentile-bootstrap bound on a fixed ladder (artefacts written before format 2). */
export const artefactV1Schema = z.object({
  ...common,
  format: z.literal(1),
  ladder: z.array(z.string().min(1)).min(2),
  target: z.object({
    relativeQuality: z.number().gt(0).max(1.5),
    confidence: z.number().gt(0).lt(1),
    bound: z.literal('bootstrap-percentile'),
    resamples: z.number().int().positive(),
    seed: z.number().int(),
  }),
  rungs: z.array(artefactRungSchema).min(2),
  chosen: chosenSchema,
  baseline: pointSchema,
  curve: z.array(pointSchema.extend({ lowerBound: z.number() })),
  staticOptions: z.array(staticOptionSchema),
});

const testCountsSchema = z.object({
  rows: count,
  losses: count,
  wins: count,
  bothRight: count,
  /** Which test: `bet` (stake and e-value) or `thinned-binomial` (debits and marked rows). */
  statistic: z.enum(['bet', 'thinned-binomial']).optional(),
  bet: z.number().min(0).optional(),
  eValue: z.number().min(0).optional(),
  debits: count.optional(),
  marked: count.optional(),
});

/**
 * Format 2: learn-then-test. `ladder` is the chosen ladder (one model when the answer is to serve
 * one model alone); figures of `chosen` are measured on the test part (rows nothing was fitted
 * on), `lowerBound`s are the test's exact one-sided bounds, `pValue` the test's at the target.
 */
export const artefactV2Schema = z.object({
  ...common,
  format: z.literal(2),
  ladder: z.array(z.string().min(1)).min(1),
  target: z.object({
    relativeQuality: z.number().gt(0).max(1.5),
    confidence: z.number().gt(0).lt(1),
    bound: z.literal('learn-then-test'),
    /** `thinned-binomial`: artefacts made before the bet was added, valid as they were tested. */
    statistic: z.enum(['bet-or-thinned-binomial', 'thinned-binomial']),
    sequence: z.literal('fixed-sequence'),
    seed: z.number().int(),
  }),
  /** The models considered, cheapest first; the last is the reference quality is relative to. */
  candidates: z.array(z.string().min(1)).min(1),
  /** `ladder` when the task's rungs were given (`--ladder`), `subsets` when chosen (`--candidates`). */
  selection: z.enum(['ladder', 'subsets']),
  maxRungs: z.number().int().positive(),
  /** Which rows fitted (maps, classifier, order) and which tested: sizes and the split's seed. */
  split: z.object({ fitRows: count, testRows: count, seed: z.number().int() }),
  search: z.object({
    ladders: count,
    policies: count,
    /** Policies in the testing order, tested before the first failure, accepted. */
    sequence: count,
    tested: count,
    accepted: count,
  }),
  /** The guarantee in words, exactly what is promised. */
  guarantee: z.string(),
  rungs: z.array(artefactRungSchema).min(1),
  chosen: chosenSchema.extend({
    /** The test's p-value at the target; null when nothing was accepted (the reference alone). */
    pValue: unit.nullable(),
    fit: z.object({ relativeQuality: z.number(), relativeCost: z.number() }),
    test: testCountsSchema,
  }),
  /** The point estimate's choice (no guarantee) over the same candidates, on every row. */
  baseline: pointSchema.extend({ ladder: z.array(z.string()) }),
  /** The fit part's frontier, cheapest first, each with its test-part figures. */
  curve: z.array(
    pointSchema.extend({
      lowerBound: z.number(),
      ladder: z.array(z.string()),
      /** Per rung: its threshold (null: none, or the last rung) and skip rule. */
      thresholds: z.array(z.number().nullable()),
      skips: z.array(rungSkipSchema.nullable()),
      testRelativeQuality: z.number(),
      testRelativeCost: z.number(),
      /** The test's p-value when the sequence reached this policy, else null. */
      pValue: unit.nullable(),
      accepted: z.boolean(),
    }),
  ),
  staticOptions: z.array(staticOptionSchema.extend({ pValue: unit })),
});

export const artefactSchema = z.discriminatedUnion('format', [artefactV1Schema, artefactV2Schema]);

export type FeatureSnapshot = z.infer<typeof featureSnapshotSchema>;

export type ArtefactRung = Omit<z.infer<typeof artefactRungSchema>, 'calibration' | 'skip'> & {
  calibration: CalibrationMap;
  skip: RungSkip | null;
};

type Typed<T> = Omit<T, 'rungs' | 'classifier' | 'recommendation'> & {
  rungs: ArtefactRung[];
  classifier: ClassifierModel | null;
  recommendation: Recommendation;
};

export type CalibrationArtefactV1 = Typed<z.infer<typeof artefactV1Schema>>;
export type CalibrationArtefactV2 = Typed<z.infer<typeof artefactV2Schema>>;
export type CalibrationArtefact = CalibrationArtefactV1 | CalibrationArtefactV2;

/** The content a version is computed over: everything but the version fields and the timestamp. */
export function artefactContent(a: CalibrationArtefact): unknown {
  const { version: _v, createdAt: _c, ...rest } = a;
  return rest;
}

export function classifierContent(c: ClassifierModel): unknown {
  const { version: _v, ...rest } = c;
  return rest;
}
