/**
 * The library request's chat-completions parameters and tools (src/doors/client/request.ts), and the
 * refusal of a parameter some rung that may answer cannot honour (src/request/router/param-support.ts).
 */
import { describe, expect, it } from 'vitest';
import { prepareCascade } from '../../src/doors/client/prepare';
import { parseRequest, RequestError } from '../../src/doors/client/request';
import { validateConfig } from '../../src/request/config-file/load';

const tool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', required: ['city'] } },
};
const base = { id: 'r1', task: 'qa', prompt: 'weather in Oslo?' };

function issues(raw: unknown): { path: string; message: string }[] {
  try {
    parseRequest(raw);
  } catch (err) {
    if (err instanceof RequestError) return err.issues;
    throw err;
  }
  return [];
}

describe('parseRequest', () => {
  it('carries the caller parameters and tools, stop as a list, maxCompletionTokens as maxTokens', () => {
    const r = parseRequest({
      ...base,
      stop: 'END',
      seed: 3,
      topP: 0.5,
      frequencyPenalty: 1,
      presencePenalty: -1,
      logprobs: true,
      topLogprobs: 2,
      user: 'u',
      providerMetadata: { app: 'x' },
      maxCompletionTokens: 50,
      tools: [tool],
      toolChoice: 'required',
      parallelToolCalls: false,
    });
    expect(r.maxTokens).toBe(50);
    expect(r.params).toEqual({
      stop: ['END'],
      seed: 3,
      topP: 0.5,
      frequencyPenalty: 1,
      presencePenalty: -1,
      logprobs: true,
      topLogprobs: 2,
      user: 'u',
      metadata: { app: 'x' },
    });
    expect(r.tools).toEqual({ definitions: [tool], choice: 'required', parallel: false });
  });

  it('a request without them has neither params nor tools (older inputs keep their shape)', () => {
    const r = parseRequest(base);
    expect(r).not.toHaveProperty('params');
    expect(r).not.toHaveProperty('tools');
  });

  it('names each bad parameter', () => {
    expect(issues({ ...base, topP: 2 })[0]!.path).toBe('topP');
    expect(issues({ ...base, topLogprobs: 2 })[0]!.path).toBe('topLogprobs');
    expect(issues({ ...base, maxTokens: 5, maxCompletionTokens: 6 })[0]!.path).toBe('maxCompletionTokens');
    expect(issues({ ...base, stop: ['a', 'b', 'c', 'd', 'e'] })[0]!.path).toBe('stop');
    const badSchema = { type: 'function', function: { name: 'f', parameters: { type: 'nonsense' } } };
    expect(issues({ ...base, tools: [badSchema] })[0]!.path).toBe('tools[0].function.parameters');
    expect(
      issues({ ...base, tools: [tool], toolChoice: { type: 'function', function: { name: 'nope' } } })[0]!
        .path,
    ).toBe('toolChoice.function.name');
  });
});

describe('parameters a rung cannot honour', () => {
  const loaded = validateConfig(
    {
      models: {
        small: {
          provider: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:1/v1',
          logprobs: false,
          pricing: { inputPerMTok: 1, outputPerMTok: 1 },
        },
        claude: {
          provider: 'anthropic',
          baseUrl: 'http://127.0.0.1:1',
          pricing: { inputPerMTok: 3, outputPerMTok: 15 },
        },
        big: {
          provider: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:1/v1',
          pricing: { inputPerMTok: 5, outputPerMTok: 5 },
        },
      },
      tasks: {
        qa: { route: 'static', rungs: [{ model: 'big' }] },
        withClaude: { route: 'static', rungs: [{ model: 'claude' }] },
        noLogprobs: { route: 'static', rungs: [{ model: 'small' }] },
        selfChecked: {
          route: 'cascade',
          rungs: [{ model: 'big', confidence: 'self_check', threshold: 0.5 }, { model: 'big' }],
        },
      },
    },
    'test',
  );
  const refused = (raw: Record<string, unknown>) => {
    try {
      prepareCascade({ ...base, ...raw }, loaded);
      return null;
    } catch (err) {
      if (err instanceof RequestError) return err.issues[0]!;
      throw err;
    }
  };

  it('passes what every rung supports', () => {
    expect(refused({ seed: 1, logprobs: true, tools: [tool] })).toBeNull();
    expect(refused({ task: 'withClaude', stop: ['x'], topP: 0.5, user: 'u', tools: [tool] })).toBeNull();
  });

  it('refuses, saying why, what an Anthropic rung has no field for', () => {
    expect(refused({ task: 'withClaude', seed: 1 })).toMatchObject({
      path: 'seed',
      message: expect.stringMatching(/Messages API/),
    });
    expect(refused({ task: 'withClaude', frequencyPenalty: 0.5 })?.path).toBe('frequencyPenalty');
    expect(refused({ task: 'withClaude', logprobs: true })?.path).toBe('logprobs');
  });

  it('refuses the caller’s logprobs on an endpoint without them, and tools on a self-checked rung', () => {
    expect(refused({ task: 'noLogprobs', logprobs: true })?.path).toBe('logprobs');
    expect(refused({ task: 'selfChecked', tools: [tool] })).toMatchObject({
      path: 'tools',
      message: expect.stringMatching(/self_check/),
    });
  });
});
