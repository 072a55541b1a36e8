/**
 * The slice of the OpenAI chat-completions request the recorded-model server reads, validated with
 * zod, and OpenAI-style error bodies, so production clients see the errors they would in real life.
 */
import { z } from 'zod';
import { paramPath } from '../../doors/gateway/param-path';

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
});

export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  // Accepted and ignored: the recorded answer is served as it was recorded.
  response_format: z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) }).nullish(),
  // A recording has one choice; it is sent whole, or streamed in pieces (stream.ts).
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1).nullish(),
  // Applied to the recorded text (flagged `content`): it ends at the token budget
  // (`finish_reason: "length"`), and before the first stop sequence.
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  // Applied to the recorded text: it is cut before the first stop sequence (flagged `content`).
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  // A recorded tool-call reply is served only to a request that offers tools. Every other
  // parameter (seed, top_p, penalties, user, metadata, tool_choice, ...) is accepted, recorded in
  // the request log (request-log.ts) and has no effect on a recording.
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessageIn = ChatCompletionRequest['messages'][number];

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAiError(
  message: string,
  opts: { type?: string; param?: string | null; code?: string | null } = {},
): OpenAiErrorBody {
  return {
    error: {
      message,
      type: opts.type ?? 'invalid_request_error',
      param: opts.param ?? null,
      code: opts.code ?? null,
    },
  };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const part of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[part];
  }
  return v;
}

/** The first validation issue as an OpenAI 400 body naming the bad field. */
export function requestErrorFromZod(error: z.ZodError, body: unknown): OpenAiErrorBody {
  const issue = error.issues[0];
  if (!issue) return openAiError('invalid request body');
  const param = paramPath(issue.path);
  if (param === null) return openAiError('the request body must be a JSON object', { code: 'invalid_body' });
  if (valueAt(body, issue.path) === undefined) {
    return openAiError(`Missing required parameter: '${param}'.`, {
      param,
      code: 'missing_required_parameter',
    });
  }
  return openAiError(`Invalid value for '${param}': ${issue.message}`, { param, code: 'invalid_value' });
}

/** The text of a message: a string, or the text parts of a content array joined. */
export function messageText(m: ChatMessageIn): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p) => p.text ?? '').join('');
  return '';
}
