/**
 * The OpenAI chat-completions request the gateway accepts, validated with zod before anything
 * starts. Every refusal is an OpenAI-style 400 naming the field (`param: "messages[0].role"`).
 *
 * Every parameter a provider supports is passed on to every rung (docs/gateway.md,
 * "Parameters"): sampling (`stop`, `seed`, `top_p`, penalties, `max_tokens`/`max_completion_tokens`,
 * `temperature`), the caller's `logprobs`/`top_logprobs`, `response_format`, `user`, `metadata`,
 * and tools (`tools`, `tool_choice`, `parallel_tool_calls`, tool turns in `messages`). What the
 * cascade cannot honour is refused with the reason, never silently dropped: `n > 1` (one checked
 * answer per request) and `logit_bias` (token ids differ between the rungs' tokenizers).
 */
import { z } from 'zod';
import type { ToolDefinition } from '../../request/providers/types';
import { toolProblems } from '../../request/router/tool-definitions';
import { badRequest, type GatewayError } from './errors';
import { paramPath } from './param-path';

const contentPart = z.looseObject({ type: z.string(), text: z.unknown().optional() });

const toolCall = z.strictObject({
  id: z.string().min(1).max(200),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1).max(64), arguments: z.string() }),
});

const message = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  // null only for an assistant turn that called tools (checked below).
  content: z.union([z.string(), z.array(contentPart), z.null()]),
  name: z.string().optional(),
  tool_calls: z.array(toolCall).max(128).nullish(),
  tool_call_id: z.string().min(1).max(200).nullish(),
  refusal: z.string().nullish(),
});

const jsonSchemaFormat = z.strictObject({
  type: z.literal('json_schema'),
  json_schema: z.strictObject({
    name: z.string().min(1).max(64),
    description: z.string().optional(),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
  }),
});

const responseFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  jsonSchemaFormat,
]);

const tool = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string(),
    description: z.string().max(4096).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) }),
]);

const between = (lo: number, hi: number) =>
  z.number().min(lo, `must be between ${lo} and ${hi}`).max(hi, `must be between ${lo} and ${hi}`);

export const chatCompletionBody = z.strictObject({
  model: z.string({ error: 'must be a string: cascade/<task> or auto' }).min(1),
  messages: z.array(message).min(1, 'must contain at least one message'),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().min(1, 'must be at least 1').nullish(),
  max_completion_tokens: z.number().int().min(1, 'must be at least 1').nullish(),
  temperature: between(0, 2).nullish(),
  response_format: responseFormat.nullish(),
  tools: z.array(tool).max(128, 'at most 128 tools').nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  user: z.string().max(256).nullish(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 keys')
    .nullish(),
  n: z.number().int().min(1, 'must be at least 1').nullish(),
  stop: z
    .union([
      z.string().min(1),
      z.array(z.string().min(1, 'a stop sequence must not be empty')).max(4, 'at most 4 stop sequences'),
    ])
    .nullish(),
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).nullish(),
  top_p: between(0, 1).nullish(),
  presence_penalty: between(-2, 2).nullish(),
  frequency_penalty: between(-2, 2).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z
    .number()
    .int()
    .min(0, 'must be between 0 and 20')
    .max(20, 'must be between 0 and 20')
    .nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  store: z.boolean().nullish(),
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

/** The first zod issue as an OpenAI 400 (OpenAI names one param per error). */
export function zodToGatewayError(error: z.ZodError, what = 'request'): GatewayError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const param = paramPath([...issue.path, key]);
    return badRequest(`Unrecognized ${what} argument supplied: ${param}`, param, 'unknown_parameter');
  }
  const param = paramPath(issue.path);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return badRequest(
    `Invalid ${what}: ${param ?? '(body)'}: ${issue.message}${more}`,
    param,
    issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value',
  );
}

/** Validates a chat-completions body; throws a 400 GatewayError naming the field. */
export function parseChatCompletion(raw: unknown): ChatCompletionBody {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw badRequest('the request body must be a JSON object', null, 'invalid_body');
  }
  const parsed = chatCompletionBody.safeParse(raw);
  if (!parsed.success) throw zodToGatewayError(parsed.error);
  const body = parsed.data;
  if (body.n != null && body.n !== 1) {
    throw badRequest(
      'n must be 1: a cascade serves one checked answer per request (each rung answers once and the check decides which answer stands), so it cannot return several choices',
      'n',
      'unsupported_value',
    );
  }
  if (body.logit_bias != null && Object.keys(body.logit_bias).length > 0) {
    throw badRequest(
      "logit_bias cannot be honoured across a cascade: it is keyed by token ids, and the rungs' models have different tokenizers, so one bias means different tokens on each rung",
      'logit_bias',
      'unsupported_parameter',
    );
  }
  if (body.top_logprobs != null && body.logprobs !== true) {
    throw badRequest('top_logprobs needs logprobs: true', 'top_logprobs', 'invalid_value');
  }
  // Ids of the tool calls made so far in the conversation: a tool message answers one of them.
  const called = new Set<string>();
  body.messages.forEach((m, i) => {
    if (m.content === null) {
      for (const c of m.tool_calls ?? []) called.add(c.id);
      if (m.role !== 'assistant' || !m.tool_calls || m.tool_calls.length === 0) {
        throw badRequest(
          'content may be null only in an assistant message with tool_calls',
          `messages[${i}].content`,
          'invalid_type',
        );
      }
      return;
    }
    if (m.tool_calls && m.role !== 'assistant') {
      throw badRequest(
        'only assistant messages carry tool_calls',
        `messages[${i}].tool_calls`,
        'invalid_value',
      );
    }
    if (m.role === 'tool' && !m.tool_call_id) {
      throw badRequest(
        'a tool message needs the tool_call_id it answers',
        `messages[${i}].tool_call_id`,
        'invalid_value',
      );
    }
    if (m.role === 'tool' && !called.has(m.tool_call_id!)) {
      throw badRequest(
        `a tool message must answer a tool call of an earlier assistant message; no earlier message has a tool call with id "${m.tool_call_id}"`,
        `messages[${i}].role`,
        'invalid_value',
      );
    }
    for (const c of m.tool_calls ?? []) called.add(c.id);
    if (typeof m.content === 'string') return;
    m.content.forEach((part, j) => {
      if (part.type !== 'text') {
        throw badRequest(
          `content part type "${part.type}" is not supported: the cascade routes and checks text only`,
          `messages[${i}].content[${j}].type`,
          'unsupported_content',
        );
      }
      if (typeof part.text !== 'string') {
        throw badRequest(
          'a text content part needs a string `text`',
          `messages[${i}].content[${j}].text`,
          'invalid_type',
        );
      }
    });
  });
  if (!body.messages.some((m) => m.role === 'user' && contentText(m.content).trim() !== '')) {
    throw badRequest(
      'messages must contain at least one non-empty user message',
      'messages',
      'invalid_value',
    );
  }
  if (body.tools != null || body.tool_choice != null) {
    // Each parameters schema compiled once (Ajv, cached), tool_choice against the names: the
    // check validates every call against these, so a broken one is the caller's 400 now.
    const problem = toolProblems((body.tools ?? []).map(toToolDefinition), body.tool_choice ?? undefined);
    if (problem)
      throw badRequest(`Invalid ${problem.param}: ${problem.message}`, problem.param, 'invalid_value');
  }
  if (
    body.max_tokens != null &&
    body.max_completion_tokens != null &&
    body.max_tokens !== body.max_completion_tokens
  ) {
    throw badRequest(
      'give max_tokens or max_completion_tokens, not two different values',
      'max_completion_tokens',
      'invalid_value',
    );
  }
  if (body.metadata && Object.hasOwn(body.metadata, 'tenant')) {
    throw badRequest(
      "metadata.tenant is reserved: the tenant is the caller's token id",
      'metadata.tenant',
      'reserved',
    );
  }
  return body;
}

export function contentText(content: ChatCompletionBody['messages'][number]['content']): string {
  if (content === null) return '';
  return typeof content === 'string' ? content : content.map((p) => String(p.text ?? '')).join('\n');
}

/** A validated tool as the provider layer's ToolDefinition (OpenAI's `strict: null` is no strict). */
export function toToolDefinition(t: NonNullable<ChatCompletionBody['tools']>[number]): ToolDefinition {
  const { strict, ...fn } = t.function;
  return { type: 'function', function: { ...fn, ...(strict != null ? { strict } : {}) } };
}

const feedbackBody = z.strictObject({
  request_id: z.string().min(1).max(200),
  score: z.number(),
  label: z.string().max(200).optional(),
  key: z.string().min(1).max(200).optional(),
});
export type FeedbackBody = z.infer<typeof feedbackBody>;

export function parseFeedback(raw: unknown): FeedbackBody {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw badRequest('the request body must be a JSON object', null, 'invalid_body');
  }
  const parsed = feedbackBody.safeParse(raw);
  if (!parsed.success) throw zodToGatewayError(parsed.error, 'feedback');
  return parsed.data;
}
