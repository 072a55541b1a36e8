/**
 * OpenAI's parameter notation for a path into a request body (`messages[0].content`), as its
 * errors name the offending parameter: the gateway's errors, and the recorded-model server's
 * (src/tools/recorded-models), which answer as OpenAI would. null for the body itself.
 */
export function paramPath(path: readonly PropertyKey[]): string | null {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? null : out;
}
