/**
 * From what a model returned to a probability that its answer is right. Pure functions: the
 * check activity runs them, and so will offline calibration and benchmarks, so the numbers a
 * threshold was tuned on are computed exactly as the live path computes them.
 *
 * Every raw signal is a log-probability (as in ../shared/data: `answer_logprob`,
 * `self_check_log_p_yes`); the calibration map turns it into P(correct).
 */
import type { ConfidenceSource } from '../config/schema';
import type { TokenLogprob } from '../providers/types';
import type { CalibrationMap } from './policy';

/**
 * The lowest raw signal calibration distinguishes: a log-probability of -Infinity (the model put
 * no mass on "yes"; recorded data has some) is read as this, both when maps are fitted and when
 * they are applied, so a fitted map never meets a value it was not fitted on.
 */
export const RAW_LOGPROB_FLOOR = -100;

/** The raw log-probability signal of an answer, or null when the endpoint gave none. */
export function rawAnswerConfidence(
  source: ConfidenceSource,
  logprobs: TokenLogprob[] | null,
): number | null {
  const tokens = (logprobs ?? []).filter((t) => Number.isFinite(t.logprob));
  if (tokens.length === 0) return null;
  switch (source) {
    case 'answer_logprob': {
      // The answer token is the first one that is not whitespace (a letter, a label).
      const first = tokens.find((t) => t.token.trim() !== '') ?? tokens[0]!;
      return first.logprob;
    }
    case 'mean_logprob':
      return tokens.reduce((s, t) => s + t.logprob, 0) / tokens.length;
    case 'min_logprob':
      return Math.min(...tokens.map((t) => t.logprob));
    case 'self_check':
    case 'judge':
      throw new Error(`${source} confidence comes from a second call, not from the answer's logprobs`);
  }
}

/**
 * log P(yes) from the first token of a self-check reply ("Yes"/"No"), using the alternatives
 * the endpoint listed: P(yes) directly when "yes" is among them, else 1 - P(no).
 */
export function selfCheckLogPYes(logprobs: TokenLogprob[] | null): number | null {
  const first = (logprobs ?? []).find((t) => t.token.trim() !== '');
  if (!first) return null;
  const options = [{ token: first.token, logprob: first.logprob }, ...first.top];
  const norm = (s: string) => s.trim().toLowerCase();
  const yes = options.find((o) => norm(o.token) === 'yes');
  if (yes && Number.isFinite(yes.logprob)) return yes.logprob;
  const no = options.find((o) => norm(o.token) === 'no');
  if (no && Number.isFinite(no.logprob)) {
    const pNo = Math.exp(no.logprob);
    return pNo >= 1 ? -Infinity : Math.log1p(-pNo);
  }
  return null;
}

/**
 * P(correct) from a raw signal through the rung's calibration map. Uncalibrated (identity), a
 * log-probability reads as its probability and a judge's score / 10 as itself; `piecewise`
 * interpolates linearly between its knots (isotonic fits) and is flat beyond them; `platt` is
 * sigmoid(a * raw + b).
 */
export function calibrate(
  map: CalibrationMap,
  rawSignal: number,
  source: ConfidenceSource = 'answer_logprob',
): number {
  const uncalibrated = () => clamp01(source === 'judge' ? rawSignal : Math.exp(rawSignal));
  if (map.kind === 'identity') return uncalibrated();
  // log P = -Infinity (a probability of 0) reads as the floor fitted maps were fitted with.
  const raw = Math.max(rawSignal, RAW_LOGPROB_FLOOR);
  if (map.kind === 'platt') {
    const z = map.a * raw + map.b;
    return clamp01(z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
  }
  const { x, y } = map;
  if (x.length === 0) return uncalibrated();
  if (raw <= x[0]!) return clamp01(y[0]!);
  if (raw >= x[x.length - 1]!) return clamp01(y[y.length - 1]!);
  let hi = 1;
  while (x[hi]! < raw) hi++;
  const x0 = x[hi - 1]!;
  const x1 = x[hi]!;
  const t = x1 === x0 ? 1 : (raw - x0) / (x1 - x0);
  return clamp01(y[hi - 1]! + t * (y[hi]! - y[hi - 1]!));
}

function clamp01(p: number): number {
  return Number.isNaN(p) ? 0 : Math.min(1, Math.max(0, p));
}
