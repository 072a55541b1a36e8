/**
 * Lean execution folds the pure steps around a model call into the call's own local activity
 * (docs/architecture.md, "Lean and durable execution"): the rules-baseline decision before the
 * first call, and the answer's check after the call that completes it. Each local activity the
 * workflow does not schedule is one round trip between the workflow and its worker saved; the
 * results are the same records (DecisionRecord, CheckOutput) the separate local activities of
 * durable execution return, computed by the same functions.
 */
import type { ConfidenceSource } from '../src/config/schema';
import type { ModelCallResult, TokenLogprob } from '../src/providers/types';
import type { CalibrationMap } from '../src/router/policy';
import { checkAnswer, type CheckInput, type CheckOutput } from './check';

/** The check to run once this call returns. */
export interface FoldedCheck {
  responseSchema: Record<string, unknown> | null;
  /**
   * What this call's reply is to the check: the answer itself; or, on a self-check or judge
   * rung, the scorer's reply to an answer an earlier call gave (`answer`, `answerLogprobs`).
   */
  role: 'answer' | 'self_check' | 'judge';
  answer?: string;
  answerLogprobs?: TokenLogprob[] | null;
  confidence: { source: ConfidenceSource; calibration: CalibrationMap; threshold: number } | null;
}

export function runFoldedCheck(spec: FoldedCheck, reply: ModelCallResult): Promise<CheckOutput> {
  const answer = spec.role === 'answer' ? reply.answer : (spec.answer ?? '');
  const input: CheckInput = {
    answer,
    responseSchema: spec.responseSchema,
    confidence: spec.confidence
      ? {
          ...spec.confidence,
          logprobs: spec.role === 'answer' ? reply.logprobs : (spec.answerLogprobs ?? null),
          selfCheckLogprobs: spec.role === 'self_check' ? reply.logprobs : null,
          judgeReply: spec.role === 'judge' ? reply.answer : null,
        }
      : null,
  };
  return checkAnswer(input);
}
