/**
 * The provider layer's vocabulary: what a model call takes, what it returns, and how it fails.
 * Activities turn a ProviderError into a Temporal ApplicationFailure whose details carry these
 * fields, so the workflow (which drives retries) can decide from recorded data alone.
 */

/**
 * Error classes of the Contracts. Retryable ones are transient (the same call may succeed
 * later); the others fail the rung at once. `config_error` (401/403) is never retried and never
 * silently escalated past: it means a key or permission is wrong and an operator must act.
 */
export const ERROR_CLASSES = [
  'rate_limited',
  'server_error',
  'timeout',
  'connection',
  'malformed_response',
  'bad_request',
  'not_found',
  'context_length',
  'config_error',
  // Every endpoint of the model has its circuit open: the call was not made.
  'endpoint_unavailable',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export const RETRYABLE_ERROR_CLASSES: ReadonlySet<ErrorClass> = new Set<ErrorClass>([
  'rate_limited',
  'server_error',
  'timeout',
  'connection',
  'malformed_response',
]);

export function isRetryable(errorClass: ErrorClass): boolean {
  return RETRYABLE_ERROR_CLASSES.has(errorClass);
}

/** A message of text only, as the router writes its own prompts (self-checks, judges). */
export interface TextMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** The text ("" for an assistant turn that only called tools). */
  content: string;
  /** An assistant turn's tool calls (a conversation that carries on after a tool call). */
  toolCalls?: ToolCall[];
  /** A `tool` message: the id of the call it answers. */
  toolCallId?: string;
}

/** A function the model may call, as OpenAI defines it; `parameters` is a JSON Schema. */
export interface ToolDefinition {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean;
  };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

/** A call the model asked for; `arguments` is JSON text, as the model wrote it (it may not parse). */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * The caller's own chat-completions parameters, sent as they are to every answer call (never to
 * self-checks or judges, whose replies the router reads). `logprobs`/`topLogprobs` here are what
 * the caller asked to receive, apart from the logprobs a cascade asks for its confidence.
 */
export interface CallerParams {
  stop?: string[];
  seed?: number;
  topP?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  user?: string;
  metadata?: Record<string, string>;
  /** OpenAI's `store`: keep the completion at the provider. */
  store?: boolean;
}

/** Tools offered to the model: sent to every answer call, and each call checked against them. */
export interface ToolSpec {
  definitions: ToolDefinition[];
  choice?: ToolChoice;
  /** false: at most one call per reply. */
  parallel?: boolean;
}

export type ResponseFormat =
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean }
  | { type: 'json_object' };

export interface ModelCallRequest {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  /** Ask for token log-probabilities (the confidence source of a logprob cascade). */
  logprobs?: boolean;
  /** How many alternatives per token (needed to read P(yes) of a self-check). */
  topLogprobs?: number;
  responseFormat?: ResponseFormat;
  /** The caller's chat-completions parameters (answer calls only). */
  params?: CallerParams;
  tools?: ToolSpec;
  /** Aborts the HTTP call (activity cancellation). */
  signal?: AbortSignal;
  /** Extra request headers (the recorded-model server's fault-injection headers in tests). */
  headers?: Record<string, string>;
  /**
   * Stream the call and hand each piece of the answer's text here as it arrives (a live stream
   * to the caller, src/temporal/activities/live-channel.ts). The result is the same as without it. A
   * provider that cannot stream ignores it and answers whole.
   */
  onDelta?: (text: string) => void;
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  top: { token: string; logprob: number }[];
}

export interface Usage {
  tokensIn: number;
  tokensOut: number;
}

export interface ModelCallResult {
  /** The configured model id (the key under `models:` in the config), not the endpoint's name. */
  modelId: string;
  /** The reply's text; "" when the model only called tools. */
  answer: string;
  /** The tool calls of the reply, when it made any. */
  toolCalls?: ToolCall[];
  finishReason: string | null;
  /** Per-token log-probabilities of the answer, when the endpoint returned them. */
  logprobs: TokenLogprob[] | null;
  usage: Usage;
  costUsd: number;
  latencyMs: number;
  /** Fields the endpoint says it derived rather than observed (recorded-model server header). */
  derivedFields: string[];
  /** Which of the model's endpoints answered (0 = primary, then its failovers), when it has several. */
  endpoint?: number;
}

/** Everything the workflow needs to know about a failed call, JSON-serialisable. */
export interface ProviderErrorDetails {
  errorClass: ErrorClass;
  retryable: boolean;
  status: number | null;
  /** From Retry-After (seconds or HTTP date) or retry-after-ms, when the endpoint sent one. */
  retryAfterMs: number | null;
  latencyMs: number;
  /** Tokens and cost billed for the failed attempt (usually 0; a malformed body may still bill). */
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  message: string;
  /** Which of the model's endpoints the attempt went to, when it has several. */
  endpoint?: number;
}

export class ProviderError extends Error {
  readonly details: ProviderErrorDetails;
  constructor(details: ProviderErrorDetails) {
    super(details.message);
    this.name = 'ProviderError';
    this.details = details;
  }
  get errorClass(): ErrorClass {
    return this.details.errorClass;
  }
  get retryable(): boolean {
    return this.details.retryable;
  }
}

export interface ModelProvider {
  call(request: ModelCallRequest): Promise<ModelCallResult>;
}
