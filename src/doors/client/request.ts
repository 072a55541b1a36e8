/**
 * The request at the boundary (Contracts, "Request"): validated with zod before any workflow
 * starts, so a bad request is refused with every problem named and nothing half-started.
 * Rows of ../shared/data are accepted as they are; their recorded `models` (and other
 * bookkeeping fields) are ignored.
 */
import { z } from 'zod';
import { formatPath } from '../../request/config/errors';
import type { CallerParams, ChatMessage, ToolSpec } from '../../request/providers/types';
import { toolProblems } from '../../request/router/tool-definitions';

const toolCallSchema = z.strictObject({
  id: z.string().min(1).max(200),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1).max(64), arguments: z.string() }),
});

const messageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  /** An assistant turn's tool calls, in a conversation that carries on after them. */
  toolCalls: z.array(toolCallSchema).optional(),
  /** A `tool` message: the call it answers. */
  toolCallId: z.string().min(1).max(200).optional(),
});

const toolSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string(),
    description: z.string().max(4096).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().optional(),
  }),
});

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) }),
]);

/**
 * The chat-completions parameters a provider supports, passed to every answer call (the
 * gateway's `stop`, `seed`, `top_p`, ...), with OpenAI's bounds.
 */
const callerParamFields = {
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)]).optional(),
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
  topP: z.number().min(0).max(1).optional(),
  frequencyPenalty: z.number().min(-2).max(2).optional(),
  presencePenalty: z.number().min(-2).max(2).optional(),
  logprobs: z.boolean().optional(),
  topLogprobs: z.number().int().min(0).max(20).optional(),
  user: z.string().max(256).optional(),
  /** OpenAI's `metadata`, sent to the model endpoints (the request's `metadata` labels the ledger row). */
  providerMetadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 keys')
    .optional(),
  /** OpenAI's `store`: the provider keeps the completion. */
  store: z.boolean().optional(),
};

/** Workflow ids are request ids: printable, no spaces, bounded. */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

export const requestSchema = z
  .looseObject({
    id: z.string().regex(REQUEST_ID, 'must be 1-200 printable characters without spaces'),
    task: z.string().min(1).optional(),
    messages: z.array(messageSchema).optional(),
    prompt: z.string().optional(),
    system: z.string().optional(),
    responseSchema: z.record(z.string(), z.unknown()).optional(),
    latencyBudgetMs: z.number().positive('must be a positive number of milliseconds').optional(),
    retryOf: z.string().regex(REQUEST_ID).optional(),
    maxTokens: z.number().int().positive('must be a positive integer').optional(),
    temperature: z.number().min(0).max(2).optional(),
    /** OpenAI's name for maxTokens: either, or both with one value. */
    maxCompletionTokens: z.number().int().positive('must be a positive integer').optional(),
    ...callerParamFields,
    tools: z.array(toolSchema).max(128).optional(),
    toolChoice: toolChoiceSchema.optional(),
    parallelToolCalls: z.boolean().optional(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.messages === undefined && r.prompt === undefined) {
      ctx.addIssue({ code: 'custom', path: ['messages'], message: 'a request needs `messages` or `prompt`' });
    }
    if (r.messages !== undefined && r.prompt !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'give `messages` or `prompt`, not both' });
    }
    if (r.messages !== undefined && !r.messages.some((m) => m.role === 'user' && m.content.trim() !== '')) {
      ctx.addIssue({
        code: 'custom',
        path: ['messages'],
        message: 'needs at least one non-empty user message',
      });
    }
    if (r.prompt !== undefined && r.prompt.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'must not be empty' });
    }
    if (
      r.maxTokens !== undefined &&
      r.maxCompletionTokens !== undefined &&
      r.maxTokens !== r.maxCompletionTokens
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxCompletionTokens'],
        message: 'give maxTokens or maxCompletionTokens, not two different values',
      });
    }
    if (r.topLogprobs !== undefined && r.logprobs !== true) {
      ctx.addIssue({ code: 'custom', path: ['topLogprobs'], message: 'needs logprobs: true' });
    }
    if (r.tools !== undefined || r.toolChoice !== undefined) {
      const problem = toolProblems(r.tools ?? [], r.toolChoice);
      // The library's names: toolChoice for OpenAI's tool_choice.
      if (problem) {
        const path =
          problem.path[0] === 'tool_choice' ? ['toolChoice', ...problem.path.slice(1)] : problem.path;
        ctx.addIssue({ code: 'custom', path, message: problem.message });
      }
    }
  });

export type RawRequest = z.input<typeof requestSchema>;

export interface NormalizedRequest {
  id: string;
  task: string | undefined;
  messages: ChatMessage[];
  responseSchema?: Record<string, unknown>;
  latencyBudgetMs?: number;
  retryOf?: string;
  maxTokens?: number;
  temperature?: number;
  /** The caller's other chat-completions parameters, for every answer call. */
  params?: CallerParams;
  tools?: ToolSpec;
  metadata?: Record<string, string | number | boolean>;
}

export interface RequestIssue {
  path: string;
  message: string;
}

/** A request refused at the boundary; `issues` names each wrong field. */
export class RequestError extends Error {
  constructor(
    readonly requestId: string | undefined,
    readonly issues: RequestIssue[],
  ) {
    super(
      `invalid request${requestId ? ` ${JSON.stringify(requestId)}` : ''}: ` +
        issues.map((i) => `${i.path || '(request)'}: ${i.message}`).join('; '),
    );
    this.name = 'RequestError';
  }
}

export function parseRequest(raw: unknown): NormalizedRequest {
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const id =
      raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string'
        ? (raw as { id: string }).id
        : undefined;
    throw new RequestError(
      id,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  const r = parsed.data;
  const maxTokens = r.maxTokens ?? r.maxCompletionTokens;
  const params = callerParams(r);
  const tools: ToolSpec | undefined =
    r.tools !== undefined && r.tools.length > 0
      ? {
          definitions: r.tools,
          ...(r.toolChoice !== undefined ? { choice: r.toolChoice } : {}),
          ...(r.parallelToolCalls !== undefined ? { parallel: r.parallelToolCalls } : {}),
        }
      : undefined;
  const messages: ChatMessage[] = r.messages ?? [
    ...(r.system ? [{ role: 'system' as const, content: r.system }] : []),
    { role: 'user' as const, content: r.prompt! },
  ];
  return {
    id: r.id,
    task: r.task,
    messages,
    ...(r.responseSchema ? { responseSchema: r.responseSchema } : {}),
    ...(r.latencyBudgetMs !== undefined ? { latencyBudgetMs: r.latencyBudgetMs } : {}),
    ...(r.retryOf ? { retryOf: r.retryOf } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(params ? { params } : {}),
    ...(tools ? { tools } : {}),
    ...(r.metadata ? { metadata: r.metadata } : {}),
  };
}

/** The set caller parameters, or undefined when there are none (the input then has no `params`). */
function callerParams(r: z.output<typeof requestSchema>): CallerParams | undefined {
  const p: CallerParams = {
    ...(r.stop !== undefined ? { stop: typeof r.stop === 'string' ? [r.stop] : r.stop } : {}),
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    ...(r.topP !== undefined ? { topP: r.topP } : {}),
    ...(r.frequencyPenalty !== undefined ? { frequencyPenalty: r.frequencyPenalty } : {}),
    ...(r.presencePenalty !== undefined ? { presencePenalty: r.presencePenalty } : {}),
    ...(r.logprobs !== undefined ? { logprobs: r.logprobs } : {}),
    ...(r.topLogprobs !== undefined ? { topLogprobs: r.topLogprobs } : {}),
    ...(r.user !== undefined ? { user: r.user } : {}),
    ...(r.providerMetadata !== undefined ? { metadata: r.providerMetadata } : {}),
    ...(r.store !== undefined ? { store: r.store } : {}),
  };
  return Object.keys(p).length > 0 ? p : undefined;
}
