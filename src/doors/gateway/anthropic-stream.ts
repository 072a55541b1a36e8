/**
 * `stream: true` on /v1/messages: the checked answer as Anthropic's server-sent events, in the
 * order Anthropic sends them: message_start, content_block_start, ping, content_block_delta (one
 * per word with its trailing whitespace, so the deltas concatenate to exactly the answer),
 * content_block_stop, message_delta (stop_reason and the output tokens), message_stop.
 *
 * The stream starts after the check (chat completions also streams live where nothing can overrule
 * the answering rung, src/doors/gateway/streaming.ts; this door does not yet): nothing is sent before the
 * workflow has finished, and an error before that is an ordinary JSON error with its status.
 */
import type { FastifyReply } from 'fastify';
import type { AnthropicMessage } from './anthropic-translate';
import { answerPieces } from './streaming';

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

export function messageEvents(message: AnthropicMessage): SseEvent[] {
  const text = message.content[0]?.text ?? '';
  return [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          ...message,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // Cumulative, as Anthropic counts: the input is known, no output has been sent yet.
          usage: { ...message.usage, output_tokens: 0 },
        },
      },
    },
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    { event: 'ping', data: { type: 'ping' } },
    ...answerPieces(text).map((piece) => ({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } },
    })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence },
        usage: { output_tokens: message.usage.output_tokens },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
}

/** Writes the stream and ends the response; a client that left is simply not written to. */
export function streamMessage(
  reply: FastifyReply,
  message: AnthropicMessage,
  headers: Record<string, string>,
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
  for (const e of messageEvents(message)) {
    if (res.destroyed) return;
    res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
  }
  if (!res.destroyed) res.end();
}
