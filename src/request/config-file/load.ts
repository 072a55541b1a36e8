/**
 * Reading cascade.config.yaml: YAML -> zod shape -> cross-field rules -> a version.
 * A config with anything wrong is refused whole, with every problem listed by path, so a
 * worker never starts on half a config. The version is a hash of the validated config; it
 * goes into every policy snapshot and trace so a decision can be tied to the config it used.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { loadTaskCalibrations } from './artefact-file';
import type { CalibrationArtefact } from '../router/calibration/artefact';
import { canonicalJson } from '../router/canonical-json';
import { ConfigError, formatPath } from '../config/errors';
import { configSchema, type CascadeConfig } from '../config/schema';
import { crossFieldIssues } from './validate';

export interface LoadedConfig {
  config: CascadeConfig;
  /**
   * `cfg-` + 12 hex digits of sha256 over the validated config (defaults filled in) and, when
   * tasks point to calibration artefacts, their versions: a recalibration is a new config version.
   */
  version: string;
  source: string;
  /**
   * The calibration artefact of each task that names one (`calibration:`), by task id, read and
   * verified by src/request/config-file/artefact-file.ts: the only copy of them this process holds. Hand
   * it to whatever decides with them (the policy snapshot, the worker's activities).
   */
  calibrations: Record<string, CalibrationArtefact>;
}

export interface ValidateOptions {
  /** Where `calibration:` paths are relative to: the config file's folder (default: the working directory). */
  baseDir?: string;
  /**
   * Read and check the tasks' calibration artefacts (default true). False for the commands that only
   * need the models and their prices (`cascade calibrate`, `cascade advise`, the benchmarks): a
   * stale or broken artefact must not stop the very command that makes a new one. The result then
   * has no calibrations and must not be used to route.
   */
  calibrations?: boolean;
}

export function parseConfig(text: string, source = '<inline>', opts: ValidateOptions = {}): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: '(yaml)', message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  return validateConfig(doc.toJS() ?? {}, source, opts);
}

export function validateConfig(raw: unknown, source = '<inline>', opts: ValidateOptions = {}): LoadedConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  const issues = crossFieldIssues(parsed.data);
  if (issues.length > 0) throw new ConfigError(source, issues);
  const { calibrations, issues: calIssues } =
    opts.calibrations === false
      ? { calibrations: {}, issues: [] }
      : loadTaskCalibrations(parsed.data, opts.baseDir ?? process.cwd());
  if (calIssues.length > 0) {
    throw new ConfigError(
      source,
      calIssues.map((i) => ({ path: formatPath(['tasks', i.task, 'calibration']), message: i.message })),
    );
  }
  return { config: parsed.data, version: configVersion(parsed.data, calibrations), source, calibrations };
}

export function loadConfig(file: string, opts: Pick<ValidateOptions, 'calibrations'> = {}): LoadedConfig {
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
  return parseConfig(text, file, { ...opts, baseDir: path.dirname(path.resolve(file)) });
}

export function configVersion(
  config: CascadeConfig,
  calibrations: Record<string, { version: string }> = {},
): string {
  const versions = Object.fromEntries(Object.entries(calibrations).map(([t, a]) => [t, a.version]));
  // Without artefacts the version is what it always was: a hash of the config alone.
  const content = Object.keys(versions).length > 0 ? { config, calibrations: versions } : config;
  return 'cfg-' + createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 12);
}
