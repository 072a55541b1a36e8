/**
 * The Anthropic Messages API door, its validation: what POST /v1/messages takes, checked before
 * anything is sent on (zod, linear in the body). Every refusal is a 400 naming the field in
 * Anthropic's notation (`messages.0.content.1.type: ...`).
 *
 * What cannot be honoured is refused with a message saying why, never dropped:
 * - `top_k`: the cascade's rungs are called through the OpenAI chat-completions protocol, which
 *   has no top_k, so it could not reach any model.
 * - `tools`, `tool_choice` (other than none/auto), `thinking`: the cascade checks and serves one
 *   text answer here (tools come to chat completions first).
 * - content blocks other than text (images, documents, tool results).
 * - a last message from the assistant: Anthropic continues such a "prefill"; the cascade's
 *   OpenAI-compatible models answer after it instead.
 * `top_p` and `temperature` go on to the chat-completions route, which takes what it can pass to
 * the models and refuses the rest (its refusal comes back in Anthropic's shape).
 */
import { z } from 'zod';
import { badRequest, type GatewayError } from './errors';

/** The gateway matches stop sequences in each answer itself: a bounded number, of bounded length. */
export const MAX_STOP_SEQUENCES = 16;
export const MAX_STOP_SEQUENCE_LENGTH = 256;

/** Any content block; only text blocks are taken (checked after parsing, with a message saying why). */
const anyBlock = z.looseObject({ type: z.string({ error: 'must be a string naming the block type' }) });
const textBlock = z.strictObject({
  type: z.literal('text'),
  text: z.string({ error: 'must be a string' }),
  // Prompt caching is a provider-side optimisation that does not change the answer.
  cache_control: z.looseObject({ type: z.string() }).nullish(),
  citations: z.array(z.unknown()).nullish(),
});
const content = z.union([z.string(), z.array(anyBlock).min(1, 'must contain at least one content block')], {
  error: 'must be a string or an array of content blocks',
});

const messagesBody = z.strictObject({
  model: z.string({ error: 'must be a string: cascade/<task> or auto' }).min(1, 'must not be empty'),
  max_tokens: z
    .number({ error: 'is required: an integer, the most tokens the answer may have' })
    .int('must be an integer')
    .min(1, 'must be at least 1'),
  messages: z
    .array(z.strictObject({ role: z.enum(['user', 'assistant']), content }), { error: 'must be an array' })
    .min(1, 'must contain at least one message'),
  system: z
    .union([z.string(), z.array(anyBlock)], { error: 'must be a string or an array of text blocks' })
    .nullish(),
  stop_sequences: z
    .array(
      z
        .string()
        .min(1, 'must not be empty')
        .max(MAX_STOP_SEQUENCE_LENGTH, `must be at most ${MAX_STOP_SEQUENCE_LENGTH} characters`),
    )
    .max(MAX_STOP_SEQUENCES, `at most ${MAX_STOP_SEQUENCES} stop sequences`)
    .nullish(),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').nullish(),
  top_p: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').nullish(),
  top_k: z.number().int().min(0).nullish(),
  metadata: z
    .strictObject({ user_id: z.string().max(256, 'must be at most 256 characters').nullish() })
    .nullish(),
  tools: z.array(z.unknown()).nullish(),
  tool_choice: z.looseObject({ type: z.string() }).nullish(),
  thinking: z.looseObject({ type: z.string() }).nullish(),
  // Which capacity Anthropic serves from; the cascade has one: accepted, changes nothing.
  service_tier: z.enum(['auto', 'standard_only']).nullish(),
  // Prompt caching for the whole request: an optimisation, the answer is the same without it.
  cache_control: z.looseObject({ type: z.string() }).nullish(),
});

/**
 * Messages API parameters the door knows but cannot honour, with why: refused by name, not as an
 * unknown field (a caller should learn the gateway understood and declined).
 */
const UNSUPPORTED: Record<string, string> = {
  output_config:
    'structured output settings are not supported on /v1/messages yet; use response_format on /v1/chat/completions',
  container: 'code-execution containers are not supported: the cascade serves text answers',
  mcp_servers: 'MCP servers are not supported: the cascade serves text answers',
  context_management: 'context management is not supported: the cascade serves one text answer per request',
  speed: 'the speed setting cannot be honoured: the cascade chooses its models by its task policy',
  inference_geo: 'inference_geo cannot be honoured: the cascade calls the models its config names',
  diagnostics: 'diagnostics are not supported by the cascade gateway',
  user_profile_id: 'user_profile_id is not supported by the cascade gateway; use metadata.user_id',
  workspace_id: 'workspace_id is not supported by the cascade gateway',
};

export type MessagesBody = z.infer<typeof messagesBody>;
export type Block = z.infer<typeof anyBlock>;

/** Anthropic's parameter notation: `messages.0.content.1.type`. */
export function anthropicPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function refuse(path: string, message: string): GatewayError {
  return badRequest(`${path}: ${message}`, path, 'invalid_value');
}

function zodError(error: z.ZodError): GatewayError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const path = anthropicPath([...issue.path, issue.keys[0]!]);
    return badRequest(`${path}: Extra inputs are not permitted`, path, 'unknown_parameter');
  }
  const path = anthropicPath(issue.path) || '(body)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return badRequest(`${path}: ${issue.message}${more}`, path, 'invalid_value');
}

/** Text blocks only; anything else is refused naming the block. */
export function textOf(blocks: Block[], path: string): { type: 'text'; text: string }[] {
  return blocks.map((block, i) => {
    if (block.type !== 'text') {
      throw refuse(
        `${path}.${i}.type`,
        `content block type "${block.type}" is not supported: the cascade routes and checks text only`,
      );
    }
    const parsed = textBlock.safeParse(block);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const sub =
        issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : (issue.path as PropertyKey[]);
      throw refuse(
        anthropicPath([path, i, ...sub]),
        issue.code === 'unrecognized_keys' ? 'Extra inputs are not permitted' : issue.message,
      );
    }
    return { type: 'text' as const, text: parsed.data.text };
  });
}

/** Validates an Anthropic Messages body; throws a 400 GatewayError naming the field. */
export function parseMessages(raw: unknown): MessagesBody {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw badRequest('the request body must be a JSON object', null, 'invalid_body');
  }
  for (const [name, why] of Object.entries(UNSUPPORTED)) {
    if (Object.hasOwn(raw, name) && (raw as Record<string, unknown>)[name] != null) throw refuse(name, why);
  }
  const parsed = messagesBody.safeParse(raw);
  if (!parsed.success) throw zodError(parsed.error);
  const body = parsed.data;
  if (body.top_k != null) {
    throw refuse(
      'top_k',
      'cannot be honoured: the cascade calls its models through the OpenAI chat-completions protocol, which has no top_k; leave it out (or use temperature / top_p)',
    );
  }
  if (body.tools && body.tools.length > 0) {
    throw refuse(
      'tools',
      'tools are not supported on /v1/messages yet: the cascade checks and serves text answers, and a tool call cannot be scored by its confidence or schema checks',
    );
  }
  if (body.tool_choice && body.tool_choice.type !== 'none' && body.tool_choice.type !== 'auto') {
    throw refuse('tool_choice', 'tool_choice needs tools, which are not supported on /v1/messages yet');
  }
  if (body.thinking && body.thinking.type !== 'disabled') {
    throw refuse(
      'thinking',
      'extended thinking is not supported: the cascade checks and serves one text answer per request',
    );
  }
  if (Array.isArray(body.system)) textOf(body.system, 'system');
  body.messages.forEach((m, i) => {
    if (typeof m.content !== 'string') textOf(m.content, `messages.${i}.content`);
  });
  if (body.messages.at(-1)!.role !== 'user') {
    throw refuse(
      `messages.${body.messages.length - 1}.role`,
      'the last message must be from the user: continuing a prefilled assistant reply is not supported (the cascade answers after the last message)',
    );
  }
  return body;
}
