/**
 * What a model call whose reply never came back is charged at least: its input tokens, counted
 * locally (about four characters a token, plus a few per message for the chat format), at the
 * model's input price. Output is unknown and counted as 0. Pure, so the workflow (a cancelled
 * call) and the call activity (the call journal) estimate alike (docs/reliability.md).
 */
import type { ChatMessage } from '../providers/types';

export function approxTokensIn(messages: readonly ChatMessage[]): number {
  return messages.reduce((n, m) => n + Math.ceil(m.content.length / 4) + 4, 0);
}

export function estimatedInputCostUsd(
  tokensIn: number,
  pricing: { inputPerMTok: number } | undefined,
): number {
  return pricing ? (tokensIn * pricing.inputPerMTok) / 1e6 : 0;
}
