/**
 * Checking an answer, as a local activity: its JSON Schema (Ajv) and its confidence mapped
 * through the rung's calibration to P(correct). Recorded, so replay never recomputes it.
 */
import type { ConfidenceSource } from '../src/config/schema';
import type { TokenLogprob } from '../src/providers/types';
import { calibrate, rawAnswerConfidence, selfCheckLogPYes } from '../src/router/confidence';
import { checkJsonAnswer } from '../src/router/json-schema';
import type { CalibrationMap } from '../src/router/policy';

export interface CheckInput {
  answer: string;
  responseSchema: Record<string, unknown> | null;
  confidence: {
    source: ConfidenceSource;
    calibration: CalibrationMap;
    threshold: number;
    /** The answer's token logprobs (logprob sources). */
    logprobs: TokenLogprob[] | null;
    /** The self-check reply's logprobs (self_check source). */
    selfCheckLogprobs?: TokenLogprob[] | null;
  } | null;
}

export interface CheckOutput {
  schema: { valid: boolean; errors: string[] } | null;
  confidence: {
    source: ConfidenceSource;
    raw: number | null;
    calibrated: number | null;
    threshold: number;
    passed: boolean;
    detail?: string;
  } | null;
}

export async function checkAnswer(input: CheckInput): Promise<CheckOutput> {
  const schema = input.responseSchema ? checkJsonAnswer(input.responseSchema, input.answer) : null;
  let confidence: CheckOutput['confidence'] = null;
  if (input.confidence) {
    const c = input.confidence;
    const raw =
      c.source === 'self_check'
        ? selfCheckLogPYes(c.selfCheckLogprobs ?? null)
        : rawAnswerConfidence(c.source, c.logprobs);
    const calibrated = raw === null ? null : calibrate(c.calibration, raw);
    confidence = {
      source: c.source,
      raw,
      calibrated,
      threshold: c.threshold,
      // No signal is no confidence: the answer does not stand on a guess.
      passed: calibrated !== null && calibrated >= c.threshold,
      ...(raw === null ? { detail: 'the endpoint returned no logprobs to compute a confidence from' } : {}),
    };
  }
  return { schema, confidence };
}
