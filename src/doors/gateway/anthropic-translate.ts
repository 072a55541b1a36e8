/**
 * The Anthropic Messages API door, its translation: a validated Anthropic body
 * (src/doors/gateway/anthropic-validation.ts) to the OpenAI chat-completions body the gateway's own
 * route takes, and the answer back as an Anthropic `message`. The chat-completions route then does
 * what it does for any request (the `model` to task mapping, its validation, idempotency, the
 * start and the wait), so the two doors cannot drift apart (src/doors/gateway/anthropic-messages.ts).
 *
 * `stop_sequences` are applied by the gateway to the served, checked answer (cut before the first
 * one found, `stop_reason: "stop_sequence"`). They are not sent to the models: an OpenAI-compatible
 * model reports a stop sequence and a natural end alike (`finish_reason: "stop"`), so the caller
 * could not be told which sequence ended the answer.
 */
import { createHash } from 'node:crypto';
import type { Trace } from '../../request/router/trace';
import { textOf, type Block, type MessagesBody } from './anthropic-validation';

type ChatContent = string | { type: 'text'; text: string }[];

const chatContent = (c: string | Block[], path: string): ChatContent =>
  typeof c === 'string' ? c : textOf(c, path);

/**
 * The chat-completions body of a (validated) Anthropic body: what the chat route starts. The
 * system prompt becomes the first message; text blocks become text parts (joined as the chat
 * route joins them); `metadata.user_id` becomes `user`.
 */
export function toChatBody(body: MessagesBody): Record<string, unknown> {
  const system = body.system == null ? '' : chatContent(body.system, 'system');
  const hasSystem = typeof system === 'string' ? system !== '' : system.length > 0;
  return {
    model: body.model,
    messages: [
      ...(hasSystem ? [{ role: 'system', content: system }] : []),
      ...body.messages.map((m, i) => ({
        role: m.role,
        content: chatContent(m.content, `messages.${i}.content`),
      })),
    ],
    max_tokens: body.max_tokens,
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { top_p: body.top_p } : {}),
    ...(body.metadata?.user_id ? { user: body.metadata.user_id } : {}),
  };
}

/** Whether the chat body carries a system message first (its message indexes are one ahead). */
function systemFirst(chat: Record<string, unknown>): boolean {
  const first = (chat.messages as { role: string }[])[0];
  return first?.role === 'system';
}

/**
 * A chat-completions `param` in Anthropic's notation, for a refusal of the chat route:
 * `messages[2].content` is `messages.1.content` after a system message, `user` is
 * `metadata.user_id`.
 */
export function anthropicParam(param: string, chat: Record<string, unknown>): string {
  if (param === 'user') return 'metadata.user_id';
  const m = /^messages\[(\d+)\](.*)$/.exec(param);
  const dotted = (rest: string) => rest.replace(/\[(\d+)\]/g, '.$1');
  if (!m) return dotted(param);
  const index = Number(m[1]) - (systemFirst(chat) ? 1 : 0);
  return index < 0 ? `system${dotted(m[2]!)}` : `messages.${index}${dotted(m[2]!)}`;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence';

/**
 * The answer cut before the first stop sequence in it (the earliest; of two at one place, the
 * shorter, which a model generating the text would have met first), and that sequence.
 */
export function applyStopSequences(
  answer: string,
  stops: readonly string[] | null | undefined,
): { text: string; stopSequence: string | null } {
  let at = -1;
  let found: string | null = null;
  for (const s of stops ?? []) {
    const i = answer.indexOf(s);
    if (i < 0) continue;
    if (at < 0 || i < at || (i === at && s.length < found!.length)) {
      at = i;
      found = s;
    }
  }
  return found === null
    ? { text: answer, stopSequence: null }
    : { text: answer.slice(0, at), stopSequence: found };
}

/** Output tokens of the call whose answer was served (its last successful attempt), if known. */
export function servedOutputTokens(trace: Trace): number | null {
  const { model, rung } = trace.final;
  for (const call of [...trace.calls].reverse()) {
    if (call.purpose !== 'answer' || call.rung !== rung || call.model !== model) continue;
    const ok = call.attempts.filter((a) => a.ok).at(-1);
    if (ok) return ok.tokensOut;
  }
  return null;
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: { type: 'text'; text: string }[];
  stop_reason: StopReason;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** A stable message id per request: a repeat of the request gets the same one. */
export function messageId(requestId: string): string {
  return `msg_${createHash('sha256').update(requestId).digest('hex').slice(0, 24)}`;
}

export function toAnthropicMessage(opts: {
  requestId: string;
  model: string;
  text: string;
  stopReason: StopReason;
  stopSequence: string | null;
  /** Every call's tokens, as the chat route's usage sums them: what was billed. */
  inputTokens: number;
  outputTokens: number;
}): AnthropicMessage {
  return {
    id: messageId(opts.requestId),
    type: 'message',
    role: 'assistant',
    model: opts.model,
    content: [{ type: 'text', text: opts.text }],
    stop_reason: opts.stopReason,
    stop_sequence: opts.stopSequence,
    usage: {
      input_tokens: opts.inputTokens,
      output_tokens: opts.outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}
