/**
 * Lean execution folds the pure steps around a model call into the call's own local activity
 * (docs/architecture.md, "Lean and durable execution"): the rules-baseline decision before the
 * first call, and the answer's check after the call that completes it. Each local activity the
 * workflow does not schedule is one round trip between the workflow and its worker saved; the
 * results are the same records (DecisionRecord, CheckOutput) the separate local activities of
 * durable execution return, computed by the same functions.
 */
import type { ConfidenceSource } from '../../request/config/schema';
import type { ModelCallResult, TokenLogprob, ToolSpec } from '../../request/providers/types';
import type { CalibrationMap } from '../../request/router/policy';
import { checkToolCalls } from '../../request/router/tool-check';
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

/**
 * The check of a reply to a request that offered tools, when the reply is (or had to be) tool
 * calls: each call against its tool's schema (src/request/router/tool-check.ts), whatever check the rung
 * asked for. Its confidence is not read: endpoints return no logprobs for tool-call tokens, and a
 * self-check or judge scores text (such rungs refuse tools when the request is prepared), so a
 * tool call stands or escalates on its schema. Computed in the call's own activity, lean or
 * durable, so the workflow reads it like a folded check. Null: a text reply, checked as any answer.
 */
export function toolReplyCheck(tools: ToolSpec | undefined, reply: ModelCallResult): CheckOutput | null {
  if (!tools) return null;
  const calls = reply.toolCalls ?? [];
  const mustCall = tools.choice === 'required' || typeof tools.choice === 'object';
  if (calls.length === 0 && !mustCall) return null;
  return { schema: checkToolCalls(calls, tools), confidence: null };
}
