/** The models of the synthetic sets (the config's two ladders), their prices and how a call is figured. */
import { buildSelfCheckPrompt } from '../../request/router/self-check';
import { type AnswerStyle } from './items';
import { type Rng } from './rng';

/** A tool-call reply, in the shape of an OpenAI assistant message's `tool_calls`. */
export interface ToolCallAnswer {
  tool_calls: { id?: string; type: 'function'; function: { name: string; arguments: string } }[];
}

export interface ModelOutcome {
  answer: string | ToolCallAnswer;
  correct: boolean;
  raw_confidence?: number;
  confidence_kind?: string;
  cost_usd: number;
  latency_ms: number;
  tokens: { in: number; out: number };
}

export interface SyntheticRow {
  id: string;
  source: string;
  task: string;
  split: string;
  system?: string;
  prompt: string;
  /** The right answer: a letter, a short answer, a number, a JSON string, or a tool-call object. */
  reference?: string | ToolCallAnswer;
  /** JSON replies: the schema the answer must meet (a request's `responseSchema`). */
  responseSchema?: Record<string, unknown>;
  /** Tool-call replies: the tools offered, as OpenAI function definitions. */
  tools?: unknown[];
  models: Record<string, ModelOutcome>;
}

// ---------------------------------------------------------------------------------------------
// Models

export interface ModelSpec {
  /** USD per million tokens, as in cascade.config.yaml. */
  price: { in: number; out: number };
  /** Extra prompt tokens of the chat template. */
  templateTokens: number;
  /** Extra completion tokens (an end-of-turn token some APIs count). */
  extraOut: number;
  /** Latency: base ms (log-normal, sd 0.22 in log space) plus ms per output token. */
  latency: { base: number; perToken: number };
  style: AnswerStyle;
}

export const MODELS: Record<string, ModelSpec> = {
  'llama3.2-1b': {
    price: { in: 0.1, out: 0.1 },
    templateTokens: 9,
    extraOut: 0,
    latency: { base: 136, perToken: 3.2 },
    style: { verbose: 0.9, variant: 0 },
  },
  'llama3.2-3b': {
    price: { in: 0.1, out: 0.1 },
    templateTokens: 9,
    extraOut: 0,
    latency: { base: 140, perToken: 4.1 },
    style: { verbose: 0.8, variant: 1 },
  },
  'llama3.1-8b': {
    price: { in: 0.2, out: 0.2 },
    templateTokens: 10,
    extraOut: 0,
    latency: { base: 150, perToken: 4.8 },
    style: { verbose: 0.6, variant: 2 },
  },
  'llama3.1-70b': {
    price: { in: 0.9, out: 0.9 },
    templateTokens: 9,
    extraOut: 0,
    latency: { base: 238, perToken: 16 },
    style: { verbose: 0.4, variant: 3 },
  },
  'llama3.1-405b': {
    price: { in: 3, out: 3 },
    templateTokens: 9,
    extraOut: 0,
    latency: { base: 490, perToken: 15 },
    style: { verbose: 0.2, variant: 4 },
  },
  'gpt-4o-mini': {
    price: { in: 0.15, out: 0.6 },
    templateTokens: 4,
    extraOut: 0,
    latency: { base: 420, perToken: 16 },
    style: { verbose: 0.55, variant: 5 },
  },
  'qwen2.5-32b-coder-instruct': {
    price: { in: 0.8, out: 0.8 },
    templateTokens: 10,
    extraOut: 1,
    latency: { base: 168, perToken: 11 },
    style: { verbose: 0.3, variant: 6 },
  },
  'qwen2.5-72b-instruct': {
    price: { in: 0.9, out: 0.9 },
    templateTokens: 10,
    extraOut: 1,
    latency: { base: 285, perToken: 15 },
    style: { verbose: 0.45, variant: 7 },
  },
  'gpt-4o': {
    price: { in: 2.5, out: 10 },
    templateTokens: 4,
    extraOut: 0,
    latency: { base: 370, perToken: 22 },
    style: { verbose: 0.35, variant: 8 },
  },
};

export const LADDERS = {
  llama: ['llama3.2-1b', 'llama3.2-3b', 'llama3.1-8b', 'llama3.1-70b', 'llama3.1-405b'],
  qwen: ['gpt-4o-mini', 'qwen2.5-32b-coder-instruct', 'qwen2.5-72b-instruct', 'gpt-4o'],
} as const;

const LATENCY_SD = 0.22;

/** What a self-check prompt adds to the original (src/request/router/self-check.ts), in characters. */
export const SELF_CHECK_EXTRA = buildSelfCheckPrompt('', '').length;

/** The `source` of every synthetic row: made by this project, not recorded from a provider. */
export const SYNTHETIC_SOURCE = 'cascade-router-synthetic';

/**
 * What a self-check of an answer adds to its recorded cost: the check's prompt (the original
 * prompt's tokens, then the answer and the question at ~4 characters a token) and one token out
 * (yes or no), at the model's list price.
 */
export function selfCheckCostUsd(model: string, tokensIn: number, answer: string): number {
  const m = MODELS[model]!;
  const checkIn = tokensIn + Math.ceil((answer.length + SELF_CHECK_EXTRA) / 4);
  return (checkIn * m.price.in + m.price.out) / 1_000_000;
}

/** ~4 characters a token, at least 1. */
export function approxTokens(text: string): number {
  return Math.max(1, Math.round(text.length / 4));
}

/** Cost (at the model's list price, as src/request/providers/cost.ts computes it) and latency of one call. */
export function callFigures(
  model: string,
  tokensIn: number,
  tokensOut: number,
  rng: Rng,
): { costUsd: number; latencyMs: number } {
  const m = MODELS[model]!;
  const latency = m.latency.base * Math.exp(LATENCY_SD * rng.gauss()) + m.latency.perToken * tokensOut;
  return {
    costUsd: (tokensIn * m.price.in + tokensOut * m.price.out) / 1_000_000,
    latencyMs: Math.round(latency * 1000) / 1000,
  };
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** log(sigmoid(x)), accurate at both ends. */
export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/** Eight significant digits, as the recorded sets carry them (+ 0 turns -0 into 0). */
export function sig8(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(8)) + 0 : x;
}
