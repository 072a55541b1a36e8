/**
 * The OpenAI chat-completions request the gateway accepts, validated with zod before anything
 * starts. Every refusal is an OpenAI-style 400 naming the field (`param: "messages[0].role"`).
 *
 * What the cascade cannot honour is refused, never silently dropped: parameters that would
 * change the answer (`top_p`, `stop`, `seed`, penalties, `logit_bias`, `n > 1`) are accepted only
 * at their neutral value, and tool calling is refused (the cascade checks and serves text answers;
 * see docs/gateway.md, "Pass-through").
 */
import { z } from 'zod';
import { badRequest, type GatewayError } from './errors';

const contentPart = z.looseObject({ type: z.string(), text: z.unknown().optional() });

const message = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(contentPart)]),
  name: z.string().optional(),
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
  function: z.looseObject({
    name: z.string().min(1),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** Accepted only at the value that leaves the answer as it is. */
const neutral = <T extends number | boolean>(value: T) =>
  z.literal(value, {
    error: `only ${String(value)} is supported: the cascade serves recorded-policy answers`,
  });

export const chatCompletionBody = z.strictObject({
  model: z.string({ error: 'must be a string: cascade/<task> or auto' }).min(1),
  messages: z.array(message).min(1, 'must contain at least one message'),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().min(1, 'must be at least 1').nullish(),
  max_completion_tokens: z.number().int().min(1, 'must be at least 1').nullish(),
  temperature: z.number().min(0, 'must be between 0 and 2').max(2, 'must be between 0 and 2').nullish(),
  response_format: responseFormat.nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.string() })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  user: z.string().max(256).nullish(),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
  n: z.number().int().nullish(),
  top_p: neutral(1).nullish(),
  presence_penalty: neutral(0).nullish(),
  frequency_penalty: neutral(0).nullish(),
  logprobs: neutral(false).nullish(),
  store: z.boolean().nullish(),
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

/** OpenAI's parameter notation: `messages[0].content`. */
export function paramPath(path: readonly PropertyKey[]): string | null {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? null : out;
}

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
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw badRequest('only n=1 is supported: a cascade serves one checked answer', 'n', 'unsupported_value');
  }
  body.messages.forEach((m, i) => {
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
  if (body.tools && body.tools.length > 0) {
    throw badRequest(
      'tools are not supported: the cascade checks and serves text answers, and a tool call cannot be scored by its confidence or schema checks',
      'tools',
      'unsupported_parameter',
    );
  }
  if (
    body.tool_choice !== undefined &&
    body.tool_choice !== null &&
    body.tool_choice !== 'none' &&
    body.tool_choice !== 'auto'
  ) {
    throw badRequest(
      'tool_choice needs tools, which are not supported',
      'tool_choice',
      'unsupported_parameter',
    );
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
  return typeof content === 'string' ? content : content.map((p) => String(p.text ?? '')).join('\n');
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
