/**
 * The self-check prompt: "is this proposed answer right? yes/no", asked of a model about an answer.
 *
 * PURE: no I/O, no Node imports. Workflows build this prompt inside Temporal's sandbox, and the
 * recorded-model server parses it to find the recorded self-check of the original prompt, so the
 * two sides must agree on one documented form. The self-check request keeps the original system
 * message; its user message is:
 *
 *     <original prompt>
 *
 *     Proposed answer: <answer>
 *
 *     Is the proposed answer correct? Answer "Yes" or "No".
 */

const ANSWER_MARKER = '\n\nProposed answer: ';
const QUESTION_SUFFIX = '\n\nIs the proposed answer correct? Answer "Yes" or "No".';

export function buildSelfCheckPrompt(prompt: string, answer: string): string {
  return `${prompt}${ANSWER_MARKER}${answer}${QUESTION_SUFFIX}`;
}

/**
 * The original prompt and proposed answer of a self-check user message, or null when the text is
 * not in the documented form.
 *
 * The answer is taken after the LAST answer marker: a self-check of a self-check (its prompt then
 * contains the marker) still parses, and answers are short verdicts or model outputs that do not
 * contain the marker in practice. The trailing question must match exactly, so ordinary prompts
 * that merely mention "Proposed answer:" are not mistaken for self-checks.
 */
export function parseSelfCheckPrompt(text: string): { prompt: string; answer: string } | null {
  if (!text.endsWith(QUESTION_SUFFIX)) return null;
  const body = text.slice(0, text.length - QUESTION_SUFFIX.length);
  const at = body.lastIndexOf(ANSWER_MARKER);
  if (at < 0) return null;
  return { prompt: body.slice(0, at), answer: body.slice(at + ANSWER_MARKER.length) };
}
