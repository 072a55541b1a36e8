/**
 * From an OpenAI chat-completions body to a cascade request, and from a cascade's trace back to an
 * OpenAI `chat.completion`. The mapping (docs/gateway.md, "Parameters" and "Tools"):
 *
 * - `model`: `cascade/<task>` names a task policy; `auto` is the config's `defaultTask`.
 * - `messages`: text only; `developer` is a system message; text parts are joined by newlines.
 * - `response_format`: `json_schema` becomes the request's `responseSchema`: it replaces the
 *   task's schema, is sent to every rung as its response_format, and every answer is checked
 *   against it (an invalid answer escalates with `schema_invalid`). `json_object` is the schema
 *   `{ "type": "object" }`. `text` changes nothing.
 * - `max_tokens` (or `max_completion_tokens`), `temperature`, `stop`, `seed`, `top_p`, penalties,
 *   `logprobs`/`top_logprobs`, `user`, `metadata`: sent to every answer call (request.params).
 * - `user`, `metadata` are also the request's metadata; its `tenant` is always the caller's token id.
 * - `tools`, `tool_choice`, `parallel_tool_calls`: offered to every answer call (request.tools);
 *   each reply's calls are checked against them, and the served calls come back as `tool_calls`.
 */
import { createHash } from 'node:crypto';
import type { LoadedConfig } from '../../request/config-file/load';
import type { ChatMessage, TokenLogprob, ToolCall } from '../../request/providers/types';
import type { ServedReply, Trace } from '../../request/router/trace';
import { notFound } from './errors';
import { contentText, toToolDefinition, type ChatCompletionBody } from './validation';

export const MODEL_PREFIX = 'cascade/';
export const AUTO_MODEL = 'auto';

/** The task a `model` names; a 404 `model_not_found` when it names none. */
export function resolveTask(model: string, loaded: LoadedConfig): string {
  const { tasks, defaultTask } = loaded.config;
  if (model === AUTO_MODEL) {
    if (!defaultTask) {
      throw notFound(
        'model "auto" needs a defaultTask in the config; name a policy as cascade/<task>',
        'model_not_found',
        'model',
      );
    }
    return defaultTask;
  }
  const task = model.startsWith(MODEL_PREFIX) ? model.slice(MODEL_PREFIX.length) : undefined;
  if (task === undefined || !Object.hasOwn(tasks, task)) {
    throw notFound(
      `The model "${model}" does not exist: use one of ${listModelIds(loaded).join(', ')}`,
      'model_not_found',
      'model',
    );
  }
  return task;
}

/** The model ids GET /v1/models lists: every task policy, and `auto` when there is a default task. */
export function listModelIds(loaded: LoadedConfig): string[] {
  const ids = Object.keys(loaded.config.tasks).map((t) => `${MODEL_PREFIX}${t}`);
  return loaded.config.defaultTask ? [...ids, AUTO_MODEL] : ids;
}

export function toMessages(body: ChatCompletionBody): ChatMessage[] {
  return body.messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: contentText(m.content),
    ...(m.tool_calls && m.tool_calls.length > 0 ? { toolCalls: m.tool_calls } : {}),
    ...(m.tool_call_id ? { toolCallId: m.tool_call_id } : {}),
  }));
}

/** The caller's parameters in the library request's names (src/doors/client/request.ts); unset ones absent. */
function passedParams(body: ChatCompletionBody): Record<string, unknown> {
  const tools = body.tools && body.tools.length > 0 ? body.tools.map(toToolDefinition) : undefined;
  const entries: [string, unknown][] = [
    ['stop', body.stop],
    ['seed', body.seed],
    ['topP', body.top_p],
    ['frequencyPenalty', body.frequency_penalty],
    ['presencePenalty', body.presence_penalty],
    ['logprobs', body.logprobs],
    ['topLogprobs', body.top_logprobs],
    ['user', body.user],
    ['providerMetadata', body.metadata],
    ['store', body.store],
    ['tools', tools],
    // Without tools a tool_choice chooses nothing; OpenAI accepts "none"/"auto" alone.
    ['toolChoice', tools ? body.tool_choice : undefined],
    ['parallelToolCalls', tools ? body.parallel_tool_calls : undefined],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined && v !== null));
}

/** The raw cascade request (validated again, and resolved, by CascadeClient.prepare). */
export function toCascadeRequest(
  body: ChatCompletionBody,
  ctx: { requestId: string; task: string; tokenId: string },
): Record<string, unknown> {
  const format = body.response_format;
  const responseSchema =
    format?.type === 'json_schema'
      ? format.json_schema.schema
      : format?.type === 'json_object'
        ? { type: 'object' }
        : undefined;
  const maxTokens = body.max_tokens ?? body.max_completion_tokens ?? undefined;
  return {
    id: ctx.requestId,
    task: ctx.task,
    messages: toMessages(body),
    ...(responseSchema ? { responseSchema } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...passedParams(body),
    metadata: {
      ...(body.metadata ?? {}),
      ...(body.user ? { user: body.user } : {}),
      tenant: ctx.tokenId,
      via: 'gateway',
    },
  };
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Tokens of every attempt of every call (answers, self-checks, judges, failed attempts): what was billed. */
export function usageOf(trace: Trace): CompletionUsage {
  let prompt = 0;
  let completion = 0;
  for (const call of trace.calls) {
    for (const a of call.attempts) {
      prompt += a.tokensIn;
      completion += a.tokensOut;
    }
  }
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: 0;
    message: {
      role: 'assistant';
      /** null when the answer is tool calls alone, as OpenAI sends it. */
      content: string | null;
      refusal: null;
      tool_calls?: ToolCall[];
    };
    logprobs: { content: OpenAiLogprob[]; refusal: null } | null;
    finish_reason: string;
  }[];
  usage: CompletionUsage;
}

/** A stable completion id per request: a repeat of the request gets the same one. */
export function completionId(requestId: string): string {
  return `chatcmpl-${createHash('sha256').update(requestId).digest('hex').slice(0, 29)}`;
}

export interface OpenAiLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/**
 * What the served call replied besides its text (tool calls, finish reason, the caller's
 * logprobs): the last answer call of the rung that served, its successful attempt.
 */
export function servedReply(trace: Trace): ServedReply {
  const rung = trace.final.rung;
  if (rung === null) return {};
  const call = [...trace.calls]
    .reverse()
    .find((c) => c.rung === rung && (c.purpose === 'answer' || c.purpose === 'shadow'));
  return [...(call?.attempts ?? [])].reverse().find((a) => a.ok)?.reply ?? {};
}

const bytesOf = (token: string) => [...Buffer.from(token, 'utf8')];

function toOpenAiLogprobs(tokens: TokenLogprob[]): { content: OpenAiLogprob[]; refusal: null } {
  return {
    content: tokens.map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: bytesOf(t.token),
      top_logprobs: t.top.map((o) => ({ token: o.token, logprob: o.logprob, bytes: bytesOf(o.token) })),
    })),
    refusal: null,
  };
}

/**
 * OpenAI's finish reasons: tool calls win; "length" (Anthropic's "max_tokens") and
 * "content_filter" are passed on; anything else is "stop".
 */
function finishReason(reply: ServedReply): string {
  if (reply.toolCalls && reply.toolCalls.length > 0) return 'tool_calls';
  if (reply.finishReason === 'max_tokens') return 'length';
  return reply.finishReason === 'length' || reply.finishReason === 'content_filter'
    ? reply.finishReason
    : 'stop';
}

export function toCompletion(trace: Trace, model: string, created: number): ChatCompletion {
  const reply = servedReply(trace);
  const answer = trace.final.answer ?? '';
  const calls = reply.toolCalls && reply.toolCalls.length > 0 ? reply.toolCalls : undefined;
  return {
    id: completionId(trace.requestId),
    object: 'chat.completion',
    created,
    model,
    system_fingerprint: trace.policy.configVersion,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: calls && answer === '' ? null : answer,
          refusal: null,
          ...(calls ? { tool_calls: calls } : {}),
        },
        logprobs: reply.logprobs ? toOpenAiLogprobs(reply.logprobs) : null,
        finish_reason: finishReason(reply),
      },
    ],
    usage: usageOf(trace),
  };
}

/** The `x-cascade-*` headers of a finished request. */
export function cascadeHeaders(trace: Trace, traceUrl: string): Record<string, string> {
  const schemaChecks = trace.checks.filter((c) => c.kind === 'schema' && c.rung === trace.final.rung);
  return {
    'x-cascade-request-id': trace.requestId,
    'x-cascade-route': trace.route,
    'x-cascade-escalated': String(trace.escalations.length > 0),
    'x-cascade-cost-usd': String(trace.totals.costUsd),
    'x-cascade-trace-url': traceUrl,
    ...(trace.final.model ? { 'x-cascade-final-model': trace.final.model } : {}),
    ...(schemaChecks.length > 0
      ? { 'x-cascade-schema-valid': String(schemaChecks.every((c) => c.passed)) }
      : {}),
  };
}

/** The Temporal Web UI page of a request's workflow. */
export function traceUrl(uiBase: string, namespace: string, requestId: string): string {
  return `${uiBase.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(requestId)}`;
}
