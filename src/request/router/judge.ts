/**
 * The judge confidence source: a (usually stronger or specialised) model grades an answer on
 * a 1-10 scale, MT-Bench's single-answer grading, and the score becomes the rung's raw
 * confidence (score / 10) before calibration. PURE: built inside the workflow, parsed in the
 * check activity, and recognised by the recorded-model server, so all three agree on one form.
 *
 * The judge request has its own system message (JUDGE_SYSTEM) and this user message:
 *
 *     [Question]
 *     <the user's last message>
 *
 *     [The Start of Assistant's Answer]
 *     <answer>
 *     [The End of Assistant's Answer]
 *
 * and the judge ends its reply with `Rating: [[N]]`.
 */
import type { TextMessage } from '../providers/types';

export const JUDGE_SYSTEM =
  'Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant ' +
  'to the user question displayed below. Be as objective as possible. After providing your explanation, ' +
  'you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", ' +
  'for example: "Rating: [[5]]".';

const Q = '[Question]\n';
const START = "\n\n[The Start of Assistant's Answer]\n";
const END = "\n[The End of Assistant's Answer]";

export function buildJudgeMessages(question: string, answer: string): TextMessage[] {
  return [
    { role: 'system', content: JUDGE_SYSTEM },
    { role: 'user', content: `${Q}${question}${START}${answer}${END}` },
  ];
}

/** The question and answer of a judge request in the documented form, or null. */
export function parseJudgePrompt(text: string): { question: string; answer: string } | null {
  if (!text.startsWith(Q) || !text.endsWith(END)) return null;
  const body = text.slice(Q.length, text.length - END.length);
  const at = body.indexOf(START);
  if (at < 0) return null;
  return { question: body.slice(0, at), answer: body.slice(at + START.length) };
}

/** The 1-10 score of a judge reply ("Rating: [[8]]", also "[[8.5]]"), or null when there is none. */
export function parseJudgeScore(reply: string): number | null {
  const matches = [...reply.matchAll(/\[\[(\d+(?:\.\d+)?)\]\]/g)];
  const last = matches[matches.length - 1];
  if (!last) return null;
  const score = Number(last[1]);
  return score >= 0 && score <= 10 ? score : null;
}
