/**
 * The tools a request offers, checked before anything starts: every `parameters` must compile as
 * a JSON Schema (the check validates each call's arguments against it, so a schema that cannot
 * compile would fail every call, and escalate every request, for a mistake of the caller's), names
 * are unique (a call names its tool), and `tool_choice` may only name a tool that is offered.
 * Each problem names the parameter in OpenAI's notation (`tools[1].function.parameters`).
 */
import type { ToolChoice, ToolDefinition } from '../providers/types';
import { compileJsonSchema, InvalidJsonSchemaError } from './json-schema';

export interface ToolProblem {
  /** OpenAI's notation: `tools[1].function.parameters`. */
  param: string;
  /** The same as a path: ['tools', 1, 'function', 'parameters']. */
  path: (string | number)[];
  message: string;
}

function problem(path: (string | number)[], message: string): ToolProblem {
  const param = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return { param, path, message };
}

/** OpenAI's rule for function names. */
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function toolProblems(
  tools: readonly ToolDefinition[],
  choice: ToolChoice | undefined,
): ToolProblem | null {
  const names = new Set<string>();
  for (const [i, tool] of tools.entries()) {
    const name = tool.function.name;
    if (!NAME.test(name)) {
      return problem(['tools', i, 'function', 'name'], 'must be 1-64 letters, digits, underscores or dashes');
    }
    if (names.has(name)) {
      return problem(['tools', i, 'function', 'name'], `a second tool named "${name}": names must be unique`);
    }
    names.add(name);
    if (tool.function.parameters === undefined) continue;
    try {
      compileJsonSchema(tool.function.parameters);
    } catch (err) {
      if (!(err instanceof InvalidJsonSchemaError)) throw err;
      return problem(['tools', i, 'function', 'parameters'], `not a valid JSON Schema: ${err.message}`);
    }
  }
  if (choice === undefined) return null;
  if (typeof choice === 'object') {
    if (!names.has(choice.function.name)) {
      return problem(
        ['tool_choice', 'function', 'name'],
        `names no offered tool ("${choice.function.name}"); the tools are: ${[...names].join(', ') || '(none)'}`,
      );
    }
  } else if (choice === 'required' && tools.length === 0) {
    return problem(['tool_choice'], '"required" needs at least one tool in `tools`');
  }
  return null;
}
