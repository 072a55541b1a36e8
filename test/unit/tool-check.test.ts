/** The tool-call check and the refusal of bad tool definitions (pure functions). */
import { describe, expect, it } from 'vitest';
import type { ToolCall, ToolDefinition, ToolSpec } from '../../src/request/providers/types';
import { compileJsonSchema } from '../../src/request/router/json-schema';
import { checkToolCalls } from '../../src/request/router/tool-check';
import { toolProblems } from '../../src/request/router/tool-definitions';

const weather: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, date: { type: 'string' } },
      required: ['city', 'date'],
    },
  },
};
const convert: ToolDefinition = {
  type: 'function',
  function: { name: 'convert_currency', parameters: { type: 'object', required: ['amount'] } },
};
const call = (name: string, args: string, id = 'call_1'): ToolCall => ({
  id,
  type: 'function',
  function: { name, arguments: args },
});
const spec = (extra: Partial<ToolSpec> = {}): ToolSpec => ({ definitions: [weather, convert], ...extra });

describe('checkToolCalls', () => {
  it('passes calls whose arguments meet their tool schema', () => {
    expect(checkToolCalls([call('get_weather', '{"city":"Oslo","date":"2026-01-01"}')], spec())).toEqual({
      valid: true,
      errors: [],
    });
  });

  it('fails a call missing a required argument, naming it', () => {
    const r = checkToolCalls([call('get_weather', '{"city":"Oslo"}')], spec());
    expect(r.valid).toBe(false);
    expect(r.errors.join()).toMatch(/get_weather.*date/);
  });

  it('fails a call naming a tool that was not offered', () => {
    const r = checkToolCalls([call('search_flights', '{}')], spec());
    expect(r.valid).toBe(false);
    expect(r.errors.join()).toMatch(/names no offered tool/);
  });

  it('fails arguments that are not JSON', () => {
    const r = checkToolCalls([call('convert_currency', "{'amount': 3}")], spec());
    expect(r.valid).toBe(false);
    expect(r.errors.join()).toMatch(/not JSON/);
  });

  it('obeys tool_choice and parallel_tool_calls', () => {
    const two = [
      call('get_weather', '{"city":"Oslo","date":"d"}', 'a'),
      call('get_weather', '{"city":"Rome","date":"d"}', 'b'),
    ];
    expect(checkToolCalls(two, spec()).valid).toBe(true);
    expect(checkToolCalls(two, spec({ parallel: false })).valid).toBe(false);
    expect(checkToolCalls([], spec({ choice: 'required' })).valid).toBe(false);
    expect(checkToolCalls(two, spec({ choice: 'none' })).valid).toBe(false);
    const named = spec({ choice: { type: 'function', function: { name: 'convert_currency' } } });
    expect(checkToolCalls(two, named).valid).toBe(false);
    expect(checkToolCalls([call('convert_currency', '{"amount":1}')], named).valid).toBe(true);
  });
});

describe('toolProblems', () => {
  it('accepts good tools', () => {
    expect(toolProblems([weather, convert], 'auto')).toBeNull();
  });

  it('names a parameters schema that does not compile', () => {
    const bad: ToolDefinition = {
      type: 'function',
      function: { name: 'f', parameters: { type: 'nonsense' } },
    };
    expect(toolProblems([weather, bad], undefined)).toMatchObject({
      param: 'tools[1].function.parameters',
      path: ['tools', 1, 'function', 'parameters'],
    });
  });

  it('names a tool_choice that names no offered tool, and duplicate or malformed names', () => {
    expect(toolProblems([weather], { type: 'function', function: { name: 'launch' } })?.param).toBe(
      'tool_choice.function.name',
    );
    expect(toolProblems([weather, weather], undefined)?.param).toBe('tools[1].function.name');
    const spaced: ToolDefinition = { type: 'function', function: { name: 'get weather' } };
    expect(toolProblems([spaced], undefined)?.param).toBe('tools[0].function.name');
    expect(toolProblems([], 'required')?.param).toBe('tool_choice');
  });
});

describe('compileJsonSchema under many caller schemas', () => {
  it('still validates a schema compiled before a thousand others (evicted, then compiled again)', () => {
    const first = { type: 'object', required: ['k0'] };
    expect(compileJsonSchema(first)({})).toBe(false);
    for (let i = 1; i <= 1100; i++) compileJsonSchema({ type: 'object', required: [`k${i}`] });
    expect(compileJsonSchema({ type: 'object', required: ['k0'] })({ k0: 1 })).toBe(true);
    expect(compileJsonSchema(first)({})).toBe(false);
  });
});
