/**
 * Structural features of a prompt that need no labelled data (the field report's cold-start
 * signals): size, distinct instructions, nested conditions, enumerations, code, requested output
 * format, questions. Pure and cheap: they run on every request inside the classify activity.
 */
import type { ChatMessage } from '../providers/types';

export const RULES_CLASSIFIER_VERSION = 'rules-v1';

export interface StructuralFeatures {
  approxTokens: number;
  messages: number;
  hasSystem: number;
  questions: number;
  instructions: number;
  conditions: number;
  enumerations: number;
  codeBlocks: number;
  asksForJson: number;
  digits: number;
}

const INSTRUCTION =
  /^\s*(?:[-*\d.)]+\s*)?(?:please\s+)?(?:write|explain|list|give|answer|output|return|summari[sz]e|describe|compare|calculate|compute|find|translate|rewrite|classify|extract|generate|reason|think|show|format|respond|choose|select|correctly)\b/gim;
const CONDITION = /\b(?:if|unless|otherwise|except|only when|in case)\b/gi;
const ENUMERATION = /^\s*(?:[A-Ha-h][:.)]|\d+[.)]|[-*•])\s+/gm;
const CODE_FENCE = /```/g;
const JSON_ASK = /\bjson\b|\bschema\b/i;

function count(re: RegExp, text: string): number {
  re.lastIndex = 0;
  return (text.match(re) ?? []).length;
}

export function structuralFeatures(messages: ChatMessage[]): StructuralFeatures {
  const text = messages.map((m) => m.content).join('\n');
  return {
    // ~4 characters a token for English; the real count comes back in the model's usage.
    approxTokens: Math.ceil(text.length / 4),
    messages: messages.length,
    hasSystem: messages.some((m) => m.role === 'system') ? 1 : 0,
    questions: count(/\?/g, text),
    instructions: count(INSTRUCTION, text),
    conditions: count(CONDITION, text),
    enumerations: count(ENUMERATION, text),
    codeBlocks: Math.floor(count(CODE_FENCE, text) / 2),
    asksForJson: JSON_ASK.test(text) ? 1 : 0,
    digits: count(/\d/g, text),
  };
}

/**
 * A rule-based complexity score in [0, 1]: a working baseline before any labelled data exists.
 * More instructions, conditions and code push it up; length alone barely does (a long
 * retrieval prompt is easy, a short multi-step question is not).
 */
export function ruleComplexity(f: StructuralFeatures): number {
  const score =
    0.05 * Math.log2(1 + f.approxTokens / 100) +
    0.12 * Math.min(f.instructions, 5) +
    0.1 * Math.min(f.conditions, 4) +
    0.15 * Math.min(f.codeBlocks, 2) +
    0.05 * Math.min(f.questions, 4);
  return Math.round(Math.min(1, score) * 1000) / 1000;
}
