/**
 * The OpenAI-compatible client's side of parameters and tools: what it sends (the caller's
 * parameters, tools, tool turns, the larger top_logprobs of the cascade's and the caller's) and
 * how it reads tool calls back, against a fetch that records the request and returns a body.
 */
import { describe, expect, it } from 'vitest';
import { modelSchema } from '../../src/request/config/schema';
import { OpenAICompatibleProvider } from '../../src/request/providers/openai-compatible';
import { ProviderError, type ModelCallRequest } from '../../src/request/providers/types';

const config = modelSchema.parse({
  provider: 'openai-compatible',
  baseUrl: 'http://model.test/v1',
  model: 'm',
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
  return { p: new OpenAICompatibleProvider('m-id', config, { fetch }), sent };
}

const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
const weather = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object' } },
};
const call = {
  id: 'call_1',
  type: 'function' as const,
  function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
};

describe('OpenAICompatibleProvider', () => {
  it('sends the caller parameters, tools and tool turns; asks for the larger top_logprobs', async () => {
    const { p, sent } = provider({
      choices: [{ message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage,
    });
    const request: ModelCallRequest = {
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', toolCalls: [call] },
        { role: 'tool', content: '{"t": 3}', toolCallId: 'call_1' },
      ],
      logprobs: true,
      topLogprobs: 1,
      params: {
        stop: ['END'],
        seed: 5,
        topP: 0.5,
        frequencyPenalty: 0.1,
        presencePenalty: 0.2,
        logprobs: true,
        topLogprobs: 3,
        user: 'u',
        metadata: { a: 'b' },
        store: false,
      },
      tools: { definitions: [weather], choice: 'auto', parallel: false },
    };
    await p.call(request);
    expect(sent[0]).toMatchObject({
      stop: ['END'],
      seed: 5,
      top_p: 0.5,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      logprobs: true,
      top_logprobs: 3,
      user: 'u',
      metadata: { a: 'b' },
      store: false,
      tools: [weather],
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
    expect(sent[0]!['messages']).toEqual([
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', content: '{"t": 3}', tool_call_id: 'call_1' },
    ]);
  });

  it('reads a reply of tool calls alone (content null) as "" with its calls', async () => {
    const { p } = provider({
      choices: [
        { message: { role: 'assistant', content: null, tool_calls: [call] }, finish_reason: 'tool_calls' },
      ],
      usage,
    });
    const result = await p.call({ messages: [{ role: 'user', content: 'weather?' }] });
    expect(result.answer).toBe('');
    expect(result.toolCalls).toEqual([call]);
    expect(result.finishReason).toBe('tool_calls');
  });

  it('fails a tool call it cannot read as malformed_response', async () => {
    const { p } = provider({
      choices: [
        { message: { role: 'assistant', content: null, tool_calls: [{ id: 'x', type: 'function' }] } },
      ],
      usage,
    });
    const err = await p.call({ messages: [{ role: 'user', content: 'weather?' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).errorClass).toBe('malformed_response');
  });
});
