/**
 * Checking an answer, as a local activity: its JSON Schema (Ajv) and its confidence mapped
 * through the rung's calibration to P(correct). Recorded, so replay never recomputes it.
 */
import type { ConfidenceSource } from '../../request/config/schema';
import type { TokenLogprob } from '../../request/providers/types';
import { calibrate, rawAnswerConfidence, selfCheckLogPYes } from '../../request/router/confidence';
import { checkJsonAnswer } from '../../request/router/json-schema';
import { confidenceStands } from '../../request/router/rung-decision';
import { parseJudgeScore } from '../../request/router/judge';
import type { CalibrationMap } from '../../request/router/policy';

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
    /** The judge's reply, ending "Rating: [[N]]" (judge source). */
    judgeReply?: string | null;
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
    const raw = rawConfidence(c);
    const calibrated = raw === null ? null : calibrate(c.calibration, raw, c.source);
    confidence = {
      source: c.source,
      raw,
      calibrated,
      threshold: c.threshold,
      // No signal is no confidence: the answer does not stand on a guess.
      passed: confidenceStands(calibrated, c.threshold),
      ...(raw === null ? { detail: missingSignal(c.source) } : {}),
    };
  }
  return { schema, confidence };
}

/** The raw signal: a log-probability, or for a judge its score / 10. */
function rawConfidence(c: NonNullable<CheckInput['confidence']>): number | null {
  switch (c.source) {
    case 'self_check':
      return selfCheckLogPYes(c.selfCheckLogprobs ?? null);
    case 'judge': {
      const score = c.judgeReply ? parseJudgeScore(c.judgeReply) : null;
      return score === null ? null : score / 10;
    }
    default:
      return rawAnswerConfidence(c.source, c.logprobs);
  }
}

function missingSignal(source: ConfidenceSource): string {
  if (source === 'judge') return 'the judge reply has no "Rating: [[N]]" score';
  if (source === 'self_check') return 'the self-check reply has no yes/no logprobs';
  return 'the endpoint returned no logprobs to compute a confidence from';
}
