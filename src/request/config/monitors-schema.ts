/**
 * The `monitors` section of the config: when the scheduled evaluation runs, over which window,
 * against which reference, and where each monitor draws its line. Defaults are chosen so that a
 * steady stream stays quiet: every alert needs both a material effect (the thresholds below)
 * and statistical evidence at `confidence` that it is not sampling noise.
 */
import { z } from 'zod';

const unit = z.number().min(0).max(1);
const positiveMs = z.number().int().positive();

export const monitorsSchema = z
  .strictObject({
    /** The Temporal Schedule's interval (one evaluation however many workers run). */
    everyMs: positiveMs.default(5 * 60_000),
    /** Each evaluation looks at the requests started in the last `windowMs`. */
    windowMs: positiveMs.default(60 * 60_000),
    /** Drift and reference escalation rates compare against the `referenceMs` before the window. */
    referenceMs: positiveMs.default(7 * 24 * 60 * 60_000),
    /** Sub-windows of the window, for "sustained" and for the report's time series. */
    buckets: z.number().int().min(1).max(500).default(6),
    /** Confidence of every interval and test the monitors use. */
    confidence: z.number().gt(0.5).lt(1).default(0.99),
    /** Below this many requests (per task, per model, per feature) a monitor says "insufficient", not "ok". */
    minRequests: z.number().int().positive().default(30),
    escalation: z
      .strictObject({
        /** Alert when the observed rate's lower bound exceeds the baseline's upper bound by this much. */
        margin: unit.default(0.02),
        /** ... and the rise shows in at least this share of the sub-windows (sustained, not a burst). */
        sustainedShare: unit.default(0.5),
      })
      .prefault({}),
    quality: z
      .strictObject({
        /** The small path may be this much worse (mean feedback score) before it is "too aggressive". */
        tolerance: unit.default(0.03),
        /** Equal quality with more than this escalation rate is "too conservative". */
        conservativeEscalationRate: unit.default(0.3),
      })
      .prefault({}),
    retries: z.strictObject({ maxAmplification: z.number().positive().default(1.5) }).prefault({}),
    routerCost: z
      .strictObject({
        /** Alert when router cost exceeds this share of gross savings. */
        maxFraction: unit.default(0.25),
        /** Price of decision compute (classify activity CPU), USD per vCPU-hour. */
        cpuHourUsd: z.number().nonnegative().default(0.05),
      })
      .prefault({}),
    drift: z
      .strictObject({
        /** A feature's (or confidence's) population stability index above this drifted (0.25 is the usual "major shift"). */
        psi: z.number().positive().default(0.25),
        /** An accuracy or escalation-rate shift smaller than this is not reported, however significant. */
        minShift: unit.default(0.05),
      })
      .prefault({}),
    /** Alerts are POSTed here (JSON) when they start and when they resolve. URL from CASCADE_ALERT_WEBHOOK_URL when unset. */
    webhook: z.boolean().default(true),
  })
  .prefault({});
export type MonitorsConfig = z.infer<typeof monitorsSchema>;
