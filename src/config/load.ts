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
import { ArtefactError, readArtefactFile, registerArtefact } from '../calibration/artefact-file';
import type { CalibrationArtefact } from '../router/calibration/artefact';
import { attachCalibrations } from '../router/calibration/attached';
import { type ConfigIssue, ConfigError, formatPath } from './errors';
import { configSchema, type CascadeConfig } from './schema';
import { crossFieldIssues } from './validate';

export interface LoadedConfig {
  config: CascadeConfig;
  /**
   * `cfg-` + 12 hex digits of sha256 over the validated config (defaults filled in) and, when
   * tasks point to calibration artefacts, their versions: a recalibration is a new config version.
   */
  version: string;
  source: string;
  /** The calibration artefact of each task that names one (`calibration:`), by task id. */
  calibrations: Record<string, CalibrationArtefact>;
}

export interface ValidateOptions {
  /** Where `calibration:` paths are relative to: the config file's folder (default: the working directory). */
  baseDir?: string;
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
  const { calibrations, issues: calIssues } = loadCalibrations(parsed.data, opts.baseDir ?? process.cwd());
  if (calIssues.length > 0) throw new ConfigError(source, calIssues);
  for (const a of Object.values(calibrations)) registerArtefact(a);
  attachCalibrations(parsed.data, calibrations);
  return { config: parsed.data, version: configVersion(parsed.data, calibrations), source, calibrations };
}

/**
 * Reads the artefact of every task with `calibration:` and checks it fits the task: the cascade
 * route, the same models in the same order (by model id or the endpoint's model name, which is
 * what labelled data calls them), and a confidence source the artefact was calibrated for.
 */
function loadCalibrations(
  config: CascadeConfig,
  baseDir: string,
): { calibrations: Record<string, CalibrationArtefact>; issues: ConfigIssue[] } {
  const calibrations: Record<string, CalibrationArtefact> = {};
  const issues: ConfigIssue[] = [];
  for (const [taskId, task] of Object.entries(config.tasks)) {
    if (task.calibration === undefined) continue;
    const at = formatPath(['tasks', taskId, 'calibration']);
    const add = (message: string) => issues.push({ path: at, message });
    const file = path.resolve(baseDir, task.calibration);
    let artefact: CalibrationArtefact;
    try {
      artefact = readArtefactFile(file);
    } catch (err) {
      if (!(err instanceof ArtefactError)) throw err;
      add(`cannot use calibration artefact ${file}: ${err.problems.join('; ')}`);
      continue;
    }
    const before = issues.length;
    if (task.route !== 'cascade') {
      add(
        `a calibration artefact sets cascade thresholds; route "${task.route}" has none (use route: cascade)`,
      );
    }
    const names = task.rungs.map((r) => {
      const model = Object.hasOwn(config.models, r.model) ? config.models[r.model] : undefined;
      return { id: r.model, endpoint: model?.model ?? r.model };
    });
    const fits =
      artefact.ladder.length === names.length &&
      artefact.ladder.every((m, i) => m === names[i]!.id || m === names[i]!.endpoint);
    if (!fits) {
      add(
        `artefact ${artefact.version} (${file}) was calibrated for the ladder ${artefact.ladder.join(' -> ')}, ` +
          `but the task's rungs are ${names.map((n) => n.id).join(' -> ')}: recalibrate with --ladder ${names.map((n) => n.endpoint).join(',')}`,
      );
    } else {
      task.rungs.forEach((r, i) => {
        const cal = artefact.rungs[i]!;
        if (i === task.rungs.length - 1) return;
        if (r.confidence !== undefined && cal.confidence !== null && r.confidence !== cal.confidence) {
          add(
            `rung ${i} (${r.model}) uses confidence "${r.confidence}", but artefact ${artefact.version} calibrated "${cal.confidence}" (${cal.confidenceKind})`,
          );
        }
        if (r.confidence !== undefined && cal.confidence === null) {
          add(
            `rung ${i} (${r.model}) uses confidence "${r.confidence}", but artefact ${artefact.version} has no confidence for it (its data had none)`,
          );
        }
      });
    }
    if (issues.length === before) calibrations[taskId] = artefact;
  }
  return { calibrations, issues };
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
  return parseConfig(text, file, { baseDir: path.dirname(path.resolve(file)) });
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
