/**
 * From an OpenAI chat-completions body to a cascade request, and from a cascade's trace back to an
 * OpenAI `chat.completion`. The mapping (docs/gateway.md, "Pass-through"):
 *
 * - `model`: `cascade/<task>` names a task policy; `auto` is the config's `defaultTask`.
 * - `messages`: text only; `developer` is a system message; text parts are joined by newlines.
 * - `response_format`: `json_schema` becomes the request's `responseSchema`: it replaces the
 *   task's schema, is sent to every rung as its response_format, and every answer is checked
 *   against it (an invalid answer escalates with `schema_invalid`). `json_object` is the schema
 *   `{ "type": "object" }`. `text` changes nothing.
 * - `max_tokens` (or `max_completion_tokens`), `temperature`: carried in the request input.
 * - `user`, `metadata`: the request's metadata; its `tenant` is always the caller's token id.
 */
import { createHash } from 'node:crypto';
import type { LoadedConfig } from '../config/load';
import type { ChatMessage } from '../providers/types';
import type { Trace } from '../router/trace';
import { notFound } from './errors';
import { contentText, type ChatCompletionBody } from './validation';

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
  }));
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
    message: { role: 'assistant'; content: string; refusal: null };
    logprobs: null;
    finish_reason: 'stop';
  }[];
  usage: CompletionUsage;
}

/** A stable completion id per request: a repeat of the request gets the same one. */
export function completionId(requestId: string): string {
  return `chatcmpl-${createHash('sha256').update(requestId).digest('hex').slice(0, 29)}`;
}

export function toCompletion(trace: Trace, model: string, created: number): ChatCompletion {
  return {
    id: completionId(trace.requestId),
    object: 'chat.completion',
    created,
    model,
    system_fingerprint: trace.policy.configVersion,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: trace.final.answer ?? '', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
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
