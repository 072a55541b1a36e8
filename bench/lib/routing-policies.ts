/**
 * bench/routing's point-estimate policies, fitted on the same calibration rows and maps as the
 * earlier bounded search (bench/lib/legacy-bounded.ts) and replayed through the same decision code:
 *
 *   point-estimate     the usual practice: one threshold shared by every checking rung, no
 *                      classifier, tuned so that the POINT ESTIMATE of relative quality reaches the
 *                      target (the earlier search's own baseline, which the bench checks it
 *                      reproduces);
 *   point-estimate+m   the same with the practitioner's safety margin: tuned to target + m.
 */
import { quantileOf } from '../../src/tools/calibrate/bootstrap';
import type { PolicyChoice } from '../../src/tools/calibrate/search';
import {
  calibratedOf,
  type ReplayRow,
  replaySummary,
  type RungPolicy,
} from '../../src/tools/calibrate/simulate';
import type { RungSkip } from '../../src/request/router/rung-decision';

/** search.ts's grid: `count` quantiles of the values, deduplicated, ascending. */
function quantileGrid(values: readonly number[], count: number): number[] {
  if (values.length === 0 || count <= 0) return [];
  const sorted = [...values].sort((a, b) => a - b);
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(quantileOf(sorted, count === 1 ? 0 : k / (count - 1)));
  return [...out].sort((a, b) => a - b);
}

interface Evaluated {
  choice: PolicyChoice;
  relativeQuality: number;
  relativeCost: number;
}

function withChoice(rungs: readonly RungPolicy[], choice: PolicyChoice): RungPolicy[] {
  return rungs.map((r, i) => ({
    ...r,
    threshold: choice.thresholds[i] ?? null,
    skip: choice.skips[i] ?? null,
  }));
}

/**
 * The point-estimate baseline of search.ts, tuned to each of `targets` in turn: the cheapest
 * candidate whose point estimate of relative quality on the calibration rows reaches it (ties:
 * the better estimate). Candidates: one threshold shared by every checking rung, at 41 quantiles
 * of their pooled calibrated confidences, plus "always escalate"; a ladder with no confidence at
 * all (pre-route only) has no threshold, and its candidates are the search's skip points
 * (deciles of the out-of-fold predictions, never, always). No candidate reaching a target: the
 * safest (every checking rung escalates; for pre-route only, nothing served but the large model).
 */
export function pointEstimateChoices(
  rungs: readonly RungPolicy[],
  rows: readonly ReplayRow[],
  targets: readonly number[],
): PolicyChoice[] {
  const K = rungs.length;
  const checking = rungs.slice(0, -1).map((r) => r.source !== null);
  const preRouteOnly = !checking.some(Boolean);
  const evaluate = (choice: PolicyChoice): Evaluated => {
    const s = replaySummary(withChoice(rungs, choice), rows);
    return { choice, relativeQuality: s.relativeQuality, relativeCost: s.relativeCost };
  };

  if (preRouteOnly) {
    // search.ts's candidates for a ladder without confidences: per rung "always skip", "never"
    // and "skip below" the inner deciles of the out-of-fold predictions; every combination.
    const hasPredictions = rows.some((r) => r.predicted.some((p) => p !== null && p !== undefined));
    let sq = hasPredictions ? 9 : 0;
    for (const s of [4, 2, 1, 0]) {
      if ((2 + sq) ** (K - 1) <= 60_000) break;
      sq = Math.min(sq, s);
    }
    const options: (RungSkip | null)[][] = rungs.slice(0, -1).map((_, i) => {
      const preds = rows.map((r) => r.predicted[i]).filter((p): p is number => p !== null && p !== undefined);
      const levels = sq > 0 ? quantileGrid(preds, sq + 2).slice(1, -1) : [];
      return [{ kind: 'always' }, null, ...levels.map((p): RungSkip => ({ kind: 'below', predicted: p }))];
    });
    const evaluated: Evaluated[] = [];
    const pick = new Array<number>(K - 1).fill(0);
    for (;;) {
      const skips = [...pick.map((o, i) => options[i]![o]!), null];
      evaluated.push(evaluate({ thresholds: rungs.map(() => null), skips }));
      let d = 0;
      while (d < K - 1 && ++pick[d]! >= options[d]!.length) pick[d++] = 0;
      if (d === K - 1) break;
    }
    const byCost = [...evaluated].sort(
      (a, b) => a.relativeCost - b.relativeCost || b.relativeQuality - a.relativeQuality,
    );
    const allSkipped: PolicyChoice = {
      thresholds: rungs.map(() => null),
      skips: rungs.map((_, i): RungSkip | null => (i < K - 1 ? { kind: 'always' } : null)),
    };
    return targets.map((t) => byCost.find((p) => p.relativeQuality >= t)?.choice ?? allSkipped);
  }

  const calibrated = rows.map((r) => calibratedOf(rungs, r));
  const pooled = calibrated.flatMap((c) =>
    c.slice(0, -1).filter((p, i): p is number => checking[i]! && p !== null),
  );
  const shared = (t: number): PolicyChoice => ({
    thresholds: rungs.map((_, i) => (i < K - 1 && checking[i] ? t : null)),
    skips: rungs.map(() => null),
  });
  const candidates = [...quantileGrid(pooled, 41), Infinity].map((t) => evaluate(shared(t)));
  return targets.map((target) => {
    let best: Evaluated | null = null;
    for (const p of candidates) {
      if (
        p.relativeQuality >= target &&
        (!best ||
          p.relativeCost < best.relativeCost ||
          (p.relativeCost === best.relativeCost && p.relativeQuality > best.relativeQuality))
      ) {
        best = p;
      }
    }
    return best?.choice ?? shared(Infinity);
  });
}

/** Whether two policy choices are the same thresholds and skip rules. */
export function sameChoice(a: PolicyChoice, b: PolicyChoice): boolean {
  return JSON.stringify([a.thresholds, a.skips]) === JSON.stringify([b.thresholds, b.skips]);
}

/** A fit's rung policies with another choice of thresholds and skips (what replay runs). */
export function policyWith(rungs: readonly RungPolicy[], choice: PolicyChoice): RungPolicy[] {
  return withChoice(rungs, choice);
}
