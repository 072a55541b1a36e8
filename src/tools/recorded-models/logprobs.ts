/**
 * OpenAI `choices[0].logprobs` built from recorded confidences, never invented ones.
 *
 * - `answer_logprob` rows (MMLU, MedMCQA): the recorded log-probability of the answer letter, which
 *   is a single token in those sets, becomes one token entry.
 * - `self_check_log_p_yes` rows: the recorded log P("Yes") of the model's own check of its answer,
 *   served only for the self-check request (see selfCheckLogprobs); the answer itself has no
 *   per-token confidence, so its logprobs are null.
 * - anything else: null.
 */
import { type RecordedReply } from './dataset';

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

export interface TokenLogprobEntry extends TopLogprob {
  top_logprobs: TopLogprob[];
}

export interface ChoiceLogprobs {
  content: TokenLogprobEntry[];
  refusal: null;
}

/**
 * What OpenAI itself reports for a token whose probability underflows. JSON has no -Infinity (it
 * would serialise as null), and exp(-9999) is exactly 0 in doubles, so P is preserved exactly.
 */
export const MIN_LOGPROB = -9999;

export interface BuiltLogprobs {
  logprobs: ChoiceLogprobs | null;
  /** Derived fields to flag in `x-recorded-derived`. */
  derived: string[];
}

function utf8Bytes(token: string): number[] {
  return [...Buffer.from(token, 'utf8')];
}

function top(token: string, logprob: number): TopLogprob {
  return { token, logprob, bytes: utf8Bytes(token) };
}

/** A recorded log-probability as JSON can carry it, flagging when it had to be clamped. */
function representable(logprob: number, field: string, derived: string[]): number {
  if (logprob >= MIN_LOGPROB) return logprob;
  derived.push(field);
  return MIN_LOGPROB;
}

/** Logprobs of a served answer: one token entry for `answer_logprob` rows, else null. */
export function answerLogprobs(reply: RecordedReply): BuiltLogprobs {
  if (reply.confidenceKind !== 'answer_logprob' || reply.rawConfidence === undefined) {
    return { logprobs: null, derived: [] };
  }
  const derived: string[] = [];
  const lp = representable(reply.rawConfidence, 'logprobs.clamped', derived);
  const entry: TokenLogprobEntry = { ...top(reply.answer, lp), top_logprobs: [top(reply.answer, lp)] };
  return { logprobs: { content: [entry], refusal: null }, derived };
}

export interface SelfCheckVerdict {
  content: 'Yes' | 'No';
  logprobs: ChoiceLogprobs;
  /** Always includes `logprobs.no` (log P(No) is derived as log(1 - P(Yes)), not recorded). */
  derived: string[];
}

/**
 * The verdict of a self-check whose recorded log P(Yes) is `rawLogPYes`: "Yes" when P(Yes) >= 0.5.
 * The logprobs carry Yes and No alternatives, most likely first, as OpenAI orders top_logprobs.
 */
export function selfCheckVerdict(rawLogPYes: number): SelfCheckVerdict {
  const derived = ['logprobs.no'];
  const pYes = Math.exp(rawLogPYes);
  // log1p(-p) is accurate for p near 0 and near 1; clamp p to [0, 1] against recorded rounding.
  // (`+ 0` turns log1p(-0) = -0 into a plain 0.)
  const rawNo = Math.log1p(-Math.min(1, Math.max(0, pYes))) + 0;
  const yes = representable(rawLogPYes, 'logprobs.clamped', derived);
  const no = representable(rawNo, 'logprobs.clamped', derived);
  const content = pYes >= 0.5 ? 'Yes' : 'No';
  const alternatives = [top('Yes', yes), top('No', no)];
  if (content === 'No') alternatives.reverse();
  const chosen = content === 'Yes' ? yes : no;
  return {
    content,
    logprobs: { content: [{ ...top(content, chosen), top_logprobs: alternatives }], refusal: null },
    derived: [...new Set(derived)],
  };
}
