/**
 * The Messages API client's side of tools and caller parameters: OpenAI function tools and tool
 * turns in Anthropic's terms, and `tool_use` blocks read back as tool calls.
 */
import { describe, expect, it } from 'vitest';
import { modelSchema } from '../../src/request/config/schema';
import { AnthropicProvider } from '../../src/request/providers/anthropic';

const config = modelSchema.parse({
  provider: 'anthropic',
  baseUrl: 'http://claude.test',
  model: 'claude-x',
  pricing: { inputPerMTok: 1, outputPerMTok: 1 },
});

function provider(reply: unknown) {
  const sent: Record<string, unknown>[] = [];
  const fetch = (async (_url: unknown, init?: RequestInit) => {
    sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
    return new Response(JSON.stringify(reply), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof globalThis.fetch;
  return { p: new AnthropicProvider('c-id', config, { fetch }), sent };
}

const weather = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'w', parameters: { type: 'object', required: ['city'] } },
};
const usage = { input_tokens: 10, output_tokens: 5 };

describe('AnthropicProvider tools', () => {
  it('sends tools, tool_choice, stop, top_p, user and tool turns in Messages API terms', async () => {
    const { p, sent } = provider({
      content: [{ type: 'text', text: 'ok' }],
      stop_reason: 'end_turn',
      usage,
    });
    await p.call({
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'weather in Oslo and Rome?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'c2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', content: '3C', toolCallId: 'c1' },
        { role: 'tool', content: '20C', toolCallId: 'c2' },
      ],
      params: { stop: ['END'], topP: 0.5, user: 'u' },
      tools: {
        definitions: [weather],
        choice: { type: 'function', function: { name: 'get_weather' } },
        parallel: false,
      },
    });
    expect(sent[0]).toMatchObject({
      system: 'sys',
      stop_sequences: ['END'],
      top_p: 0.5,
      metadata: { user_id: 'u' },
      tools: [
        { name: 'get_weather', description: 'w', input_schema: { type: 'object', required: ['city'] } },
      ],
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
    });
    expect(sent[0]!['messages']).toEqual([
      { role: 'user', content: 'weather in Oslo and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'c1', name: 'get_weather', input: { city: 'Oslo' } },
          { type: 'tool_use', id: 'c2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: '3C' },
          { type: 'tool_result', tool_use_id: 'c2', content: '20C' },
        ],
      },
    ]);
  });

  it('reads tool_use blocks as tool calls, arguments as JSON text', async () => {
    const { p } = provider({
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }],
      stop_reason: 'tool_use',
      usage,
    });
    const r = await p.call({ messages: [{ role: 'user', content: 'weather?' }] });
    expect(r.answer).toBe('');
    expect(r.toolCalls).toEqual([
      { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
    ]);
    expect(r.finishReason).toBe('tool_use');
  });
});
