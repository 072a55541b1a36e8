/**
 * The Anthropic door's pure parts: validation wording, the translation to a chat-completions
 * body, parameter names mapped back, stop sequences, and the order of the streamed events.
 */
import { describe, expect, it } from 'vitest';
import { messageEvents } from '../../src/doors/gateway/anthropic-stream';
import {
  anthropicParam,
  applyStopSequences,
  servedOutputTokens,
  toAnthropicMessage,
  toChatBody,
} from '../../src/doors/gateway/anthropic-translate';
import { parseMessages } from '../../src/doors/gateway/anthropic-validation';
import { GatewayError } from '../../src/doors/gateway/errors';
import { fakeTrace } from '../helpers/fake-trace';

const user = [{ role: 'user', content: 'hi' }];

function refusal(body: unknown): string {
  try {
    parseMessages(body);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    return (err as GatewayError).message;
  }
  throw new Error('accepted');
}

describe('the Anthropic door', () => {
  it('translates system, text blocks, max_tokens, sampling and metadata.user_id into a chat body', () => {
    const body = parseMessages({
      model: 'cascade/mmlu',
      max_tokens: 50,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'c' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      metadata: { user_id: 'u-1' },
      stop_sequences: ['END'],
      stream: true,
    });
    expect(toChatBody(body)).toEqual({
      model: 'cascade/mmlu',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'c' },
      ],
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
    });
  });

  it('refuses what it cannot honour, naming the field in Anthropic notation', () => {
    const good = { model: 'cascade/mmlu', max_tokens: 5, messages: user };
    expect(refusal({ ...good, top_k: 1 })).toMatch(/^top_k: cannot be honoured: .*no top_k/);
    expect(refusal({ model: 'm', messages: user })).toMatch(/^max_tokens: is required/);
    expect(refusal({ ...good, messages: [{ role: 'user', content: [{ type: 'document' }] }] })).toMatch(
      /^messages\.0\.content\.0\.type: content block type "document" is not supported/,
    );
    expect(refusal({ ...good, output_config: { effort: 'low' } })).toMatch(/^output_config: /);
    expect(refusal({ ...good, nope: 1 })).toBe('nope: Extra inputs are not permitted');
  });

  it('maps the chat route’s parameter names back, past the system message', () => {
    const withSystem = { messages: [{ role: 'system' }, { role: 'user' }] };
    const without = { messages: [{ role: 'user' }] };
    expect(anthropicParam('messages[1].content[0].text', withSystem)).toBe('messages.0.content.0.text');
    expect(anthropicParam('messages[0].content', withSystem)).toBe('system.content');
    expect(anthropicParam('messages[0].content', without)).toBe('messages.0.content');
    expect(anthropicParam('user', without)).toBe('metadata.user_id');
    expect(anthropicParam('top_p', without)).toBe('top_p');
  });

  it('cuts at the earliest stop sequence (the shorter of two at one place)', () => {
    expect(applyStopSequences('one two three', ['three', ' two'])).toEqual({
      text: 'one',
      stopSequence: ' two',
    });
    expect(applyStopSequences('abcdef', ['cde', 'cd'])).toEqual({ text: 'ab', stopSequence: 'cd' });
    expect(applyStopSequences('abc', ['x'])).toEqual({ text: 'abc', stopSequence: null });
    expect(applyStopSequences('abc', undefined)).toEqual({ text: 'abc', stopSequence: null });
  });

  it('reads the served call’s output tokens from the trace: its last successful attempt', () => {
    // Small: a 429 then 20 tokens; escalated, large: 30 tokens (test/helpers/fake-trace.ts).
    expect(servedOutputTokens(fakeTrace({ id: 'a', escalate: false }))).toBe(20);
    expect(servedOutputTokens(fakeTrace({ id: 'b', escalate: true }))).toBe(30);
  });

  it('streams events in Anthropic’s order whose deltas are the text', () => {
    const message = toAnthropicMessage({
      requestId: 'me:k',
      model: 'cascade/x',
      text: 'Hello there, world',
      stopReason: 'end_turn',
      stopSequence: null,
      inputTokens: 7,
      outputTokens: 3,
    });
    const events = messageEvents(message);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const e of events) expect(e.data.type).toBe(e.event);
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data.delta as { text: string }).text)
      .join('');
    expect(text).toBe('Hello there, world');
    expect(events[0]!.data.message).toMatchObject({ id: message.id, content: [], stop_reason: null });
    expect(events.at(-2)!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 3 },
    });
  });
});
