/**
 * `stream: true`: the final answer as server-sent events in OpenAI's chunk format. A cascade's
 * answer is not final until it has been checked (a low-confidence or schema-invalid answer is
 * replaced by a stronger rung's), so nothing is streamed before the workflow has finished: the
 * stream starts after the check, with the whole checked answer, as a role delta, content deltas
 * (one per word with its trailing whitespace), a finish chunk, an optional usage chunk
 * (`stream_options.include_usage`) and `data: [DONE]`. Errors before the stream starts are
 * ordinary JSON error responses with their status.
 */
import type { FastifyReply } from 'fastify';
import type { ChatCompletion } from './translate';

/** The answer in pieces whose concatenation is the answer, exactly. */
export function answerPieces(answer: string): string[] {
  return answer.match(/[^\s]+\s*|\s+/g) ?? [];
}

export function completionChunks(completion: ChatCompletion, includeUsage: boolean): unknown[] {
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
    system_fingerprint: completion.system_fingerprint,
  };
  const choice = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const message = completion.choices[0]!.message;
  return [
    choice({ role: 'assistant', content: '', refusal: null }, null),
    ...answerPieces(message.content).map((piece) => choice({ content: piece }, null)),
    choice({}, completion.choices[0]!.finish_reason),
    ...(includeUsage ? [{ ...base, choices: [], usage: completion.usage }] : []),
  ];
}

/** Writes the stream and ends the response; a client that left is simply not written to. */
export function streamCompletion(
  reply: FastifyReply,
  completion: ChatCompletion,
  headers: Record<string, string>,
  includeUsage: boolean,
): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...headers,
  });
  for (const chunk of completionChunks(completion, includeUsage)) {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  if (!res.destroyed) res.end('data: [DONE]\n\n');
}
