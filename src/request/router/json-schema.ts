/**
 * JSON Schema compilation and validation (Ajv), shared by config validation (a task's
 * responseSchema must compile at load time, not on the first request) and the schema check
 * of an answer. Compiled validators are cached by schema text because a worker checks
 * thousands of answers against a handful of schemas.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

const cache = new Map<string, { validate: ValidateFunction; schema: object }>();
/**
 * Callers bring their own schemas (a request's response_format, its tools' parameters), so the
 * cache is bounded: past this many, the oldest compiled schema is dropped (recompiled if seen again).
 */
const MAX_CACHED = 1000;

export class InvalidJsonSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJsonSchemaError';
  }
}

/** Compiles (once) or throws InvalidJsonSchemaError saying what is wrong with the schema. */
export function compileJsonSchema(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit) return hit.validate;
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new InvalidJsonSchemaError('a JSON Schema must be an object');
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema as object);
  } catch (err) {
    throw new InvalidJsonSchemaError(err instanceof Error ? err.message : String(err));
  }
  if (cache.size >= MAX_CACHED) {
    const [oldest, entry] = cache.entries().next().value!;
    cache.delete(oldest);
    // Ajv keeps every schema it compiled (by object) until told to forget it.
    ajv.removeSchema(entry.schema);
  }
  cache.set(key, { validate, schema: schema as object });
  return validate;
}

export interface SchemaCheck {
  valid: boolean;
  /** Ajv's errors as short readable lines ("/answer must be string"); empty when valid. */
  errors: string[];
}

/** Parses `text` as JSON and validates it; unparseable text is invalid with the parse error. */
export function checkJsonAnswer(schema: unknown, text: string): SchemaCheck {
  const validate = compileJsonSchema(schema);
  let value: unknown;
  try {
    value = JSON.parse(stripCodeFence(text));
  } catch (err) {
    // A label task's schema is often `{ type: string, enum: [...] }` and models answer with the
    // bare label (A, not "A"): validate the text itself as that string.
    if (expectsString(schema)) value = text.trim();
    else return { valid: false, errors: [`not JSON: ${err instanceof Error ? err.message : String(err)}`] };
  }
  const valid = validate(value) as boolean;
  return { valid, errors: valid ? [] : formatErrors(validate.errors ?? []) };
}

function expectsString(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return false;
  const s = schema as { type?: unknown; enum?: unknown };
  return s.type === 'string' || (Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string'));
}

/** Models often wrap JSON in ```json fences even when asked not to; that is not a schema failure. */
function stripCodeFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? m[1]! : text;
}

function formatErrors(errors: ErrorObject[]): string[] {
  return errors.map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}
