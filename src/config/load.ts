/**
 * Reading cascade.config.yaml: YAML -> zod shape -> cross-field rules -> a version.
 * A config with anything wrong is refused whole, with every problem listed by path, so a
 * worker never starts on half a config. The version is a hash of the validated config; it
 * goes into every policy snapshot and trace so a decision can be tied to the config it used.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError, formatPath } from './errors';
import { configSchema, type CascadeConfig } from './schema';
import { crossFieldIssues } from './validate';

export interface LoadedConfig {
  config: CascadeConfig;
  /** `cfg-` + 12 hex digits of sha256 over the validated config (defaults filled in). */
  version: string;
  source: string;
}

export function parseConfig(text: string, source = '<inline>'): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: '(yaml)', message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  return validateConfig(doc.toJS() ?? {}, source);
}

export function validateConfig(raw: unknown, source = '<inline>'): LoadedConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  const issues = crossFieldIssues(parsed.data);
  if (issues.length > 0) throw new ConfigError(source, issues);
  return { config: parsed.data, version: configVersion(parsed.data), source };
}

export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [
      {
        path: '(file)',
        message: code === 'ENOENT' ? 'no such file (set CASCADE_CONFIG or create it)' : String(err),
      },
    ]);
  }
  return parseConfig(text, file);
}

export function configVersion(config: CascadeConfig): string {
  return 'cfg-' + createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 12);
}

/** JSON with object keys sorted, so the same config always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
