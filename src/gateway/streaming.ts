/**
 * `stream: true`: the final answer as server-sent events in OpenAI's chunk format. A cascade's
 * answer is not final until it has been checked (a low-confidence or schema-invalid answer is
 * replaced by a stronger rung's), so nothing is streamed before the workflow has finished: the
 * stream starts after the check, with the whole checked answer, as a role delta, content deltas
 * (one per word with its trailing whitespace), tool-call deltas (per call: its id, type and name
 * with empty arguments, then the arguments in pieces, each delta keyed by the call's `index`, as
 * OpenAI streams them), a finish chunk, an optional usage chunk (`stream_options.include_usage`)
 * and `data: [DONE]`. The caller's logprobs ride on the first content delta (clients concatenate
 * them across chunks). Errors before the stream starts are ordinary JSON error responses.
 */
import type { FastifyReply } from 'fastify';
import type { ChatCompletion } from './translate';

/** The answer in pieces whose concatenation is the answer, exactly. */
export function answerPieces(answer: string): string[] {
  return answer.match(/[^\s]+\s*|\s+/g) ?? [];
}

/** A tool call's arguments in pieces (after each comma or colon): their concatenation is the text. */
export function argumentPieces(args: string): string[] {
  return args.match(/[^,:]*[,:]?/g)?.filter((p) => p !== '') ?? [];
}

export function completionChunks(completion: ChatCompletion, includeUsage: boolean): unknown[] {
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
    system_fingerprint: completion.system_fingerprint,
  };
  const choice = (delta: Record<string, unknown>, finish: string | null, logprobs: unknown = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const { message, logprobs } = completion.choices[0]!;
  const calls = message.tool_calls ?? [];
  const text = answerPieces(message.content ?? '').map((piece, i) =>
    choice({ content: piece }, null, i === 0 ? logprobs : null),
  );
  const toolDeltas = calls.flatMap((call, index) => [
    choice(
      {
        tool_calls: [
          { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
        ],
      },
      null,
    ),
    ...argumentPieces(call.function.arguments).map((piece) =>
      choice({ tool_calls: [{ index, function: { arguments: piece } }] }, null),
    ),
  ]);
  return [
    choice({ role: 'assistant', content: message.content === null ? null : '', refusal: null }, null),
    ...text,
    ...toolDeltas,
    // Logprobs with no text to carry them (a reply of tool calls alone) come with the finish.
    choice({}, completion.choices[0]!.finish_reason, text.length === 0 ? logprobs : null),
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
