/**
 * The check of a reply to a request that offered tools: each tool call must name an offered tool
 * and carry arguments that parse as JSON and meet that tool's `parameters` schema (Ajv); the reply
 * must also obey `tool_choice` (none: no call; required: some call; a named function: that one)
 * and `parallel_tool_calls: false` (at most one call). A failure is a schema failure: the rung
 * escalates with `schema_invalid`, as an answer that misses its response schema does.
 */
import type { ToolCall, ToolSpec } from '../providers/types';
import { compileJsonSchema, type SchemaCheck } from './json-schema';

export function checkToolCalls(calls: readonly ToolCall[], spec: ToolSpec): SchemaCheck {
  const errors: string[] = [];
  const byName = new Map(spec.definitions.map((t) => [t.function.name, t]));
  const choice = spec.choice;
  if (choice === 'none' && calls.length > 0) errors.push('tool_choice is "none" but the reply calls tools');
  if (choice === 'required' && calls.length === 0)
    errors.push('tool_choice is "required" but the reply calls no tool');
  if (typeof choice === 'object') {
    const wanted = choice.function.name;
    if (calls.length === 0) errors.push(`tool_choice names "${wanted}" but the reply calls no tool`);
    for (const c of calls) {
      if (c.function.name !== wanted)
        errors.push(`tool_choice names "${wanted}" but the reply calls "${c.function.name}"`);
    }
  }
  if (spec.parallel === false && calls.length > 1) {
    errors.push(`parallel_tool_calls is false but the reply makes ${calls.length} calls`);
  }
  calls.forEach((call, i) => {
    const where = `tool_calls[${i}] (${call.function.name})`;
    const tool = byName.get(call.function.name);
    if (!tool) {
      errors.push(`${where}: names no offered tool (offered: ${[...byName.keys()].join(', ')})`);
      return;
    }
    let args: unknown;
    try {
      args = JSON.parse(call.function.arguments);
    } catch (err) {
      errors.push(`${where}: arguments are not JSON: ${(err as Error).message}`);
      return;
    }
    const schema = tool.function.parameters;
    if (schema === undefined) return;
    const validate = compileJsonSchema(schema);
    if (!validate(args)) {
      for (const e of validate.errors ?? []) {
        errors.push(`${where}: arguments${e.instancePath || ''} ${e.message ?? 'is invalid'}`);
      }
    }
  });
  return { valid: errors.length === 0, errors };
}
