/**
 * Calibration artefacts: the ONE place they are read and verified. Stamping their content
 * versions, writing them, reading and validating a file (shape, format, version against content),
 * checking that an artefact fits the task that names it (`loadTaskCalibrations`, which config
 * loading calls: the result is `LoadedConfig.calibrations`, the only copy a process holds), and
 * the classifier lookup a worker hands its classify activity (`classifierLookup`).
 *
 * Nothing here is global: the policy builder (src/request/router/policy.ts) and the activities are given
 * the artefacts they use, explicitly, by whoever loaded the config.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  artefactContent,
  artefactSchema,
  type CalibrationArtefact,
  classifierContent,
} from '../router/calibration/artefact';
import { canonicalJson } from '../router/canonical-json';
import { compileClassifier } from '../router/classifier';
import type { ClassifierLookup, LoadedClassifier } from '../router/decide';

function hash12(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 12);
}

/** Sets `classifier.version` and `version` from the content (everything but versions and createdAt). */
export function stampVersions<A extends CalibrationArtefact>(a: A): A {
  const classifier = a.classifier
    ? { ...a.classifier, version: `clf-${hash12(classifierContent(a.classifier))}` }
    : null;
  const withClassifier = { ...a, classifier };
  return { ...withClassifier, version: `cal-${hash12(artefactContent(withClassifier))}` };
}

export class ArtefactError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'ArtefactError';
  }
}

/**
 * Writes `<dir>/<version>.json` (immutable: a config can pin it) and `<dir>/calibration.json`
 * (the latest), pretty-printed. Returns both paths.
 */
export function writeArtefact(dir: string, a: CalibrationArtefact): { versioned: string; latest: string } {
  fs.mkdirSync(dir, { recursive: true });
  const text = JSON.stringify(a, null, 2) + '\n';
  const versioned = path.join(dir, `${a.version}.json`);
  const latest = path.join(dir, 'calibration.json');
  fs.writeFileSync(versioned, text);
  fs.writeFileSync(latest, text);
  return { versioned, latest };
}

/**
 * The command that makes an artefact again, from what a (possibly unreadable) file still says:
 * its training files, ladder or candidates, target and confidence.
 */
export function recalibrateCommand(raw: unknown, file: string): string {
  const a = (raw && typeof raw === 'object' ? raw : {}) as {
    ladder?: unknown;
    candidates?: unknown;
    selection?: unknown;
    target?: { relativeQuality?: unknown; confidence?: unknown };
    training?: { files?: { name?: unknown }[] };
  };
  const list = (x: unknown) =>
    Array.isArray(x) && x.every((m) => typeof m === 'string') ? (x as string[]).join(',') : null;
  const files = (a.training?.files ?? []).map((f) => f?.name).filter((n) => typeof n === 'string');
  const models =
    a.selection === 'subsets' && list(a.candidates)
      ? `--candidates ${list(a.candidates)}`
      : list(a.ladder)
        ? `--ladder ${list(a.ladder)}`
        : '--ladder SMALL,LARGE';
  const num = (x: unknown, d: string) => (typeof x === 'number' ? String(x) : d);
  return (
    `cascade calibrate --train ${files.length ? files.join(' ') : 'FILE.jsonl'} ${models} ` +
    `--target ${num(a.target?.relativeQuality, '0.97')} --confidence ${num(a.target?.confidence, '0.95')} ` +
    `--out ${path.dirname(file)}`
  );
}

/** The formats this build reads. */
const FORMATS = [1, 2];

/** Parses and validates an artefact (shape, then that its versions match its content). */
export function parseArtefact(text: string, file: string): CalibrationArtefact {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ArtefactError(file, [`not valid JSON (${(err as Error).message})`]);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (
    (raw as { kind?: unknown } | null)?.kind === 'cascade-calibration' &&
    typeof format === 'number' &&
    !FORMATS.includes(format)
  ) {
    throw new ArtefactError(file, [
      `format ${format} is not one this cascade-router reads (formats ${FORMATS.join(', ')}): ` +
        `upgrade cascade-router, or make it again with this one: ${recalibrateCommand(raw, file)}`,
    ]);
  }
  const parsed = artefactSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ArtefactError(file, [
      ...parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`),
      `make it again with: ${recalibrateCommand(raw, file)}`,
    ]);
  }
  const a = parsed.data as CalibrationArtefact;
  const problems: string[] = [];
  if (a.rungs.length !== a.ladder.length)
    problems.push(`${a.rungs.length} rungs for a ladder of ${a.ladder.length}`);
  a.rungs.forEach((r, i) => {
    if (r.model !== a.ladder[i])
      problems.push(`rungs[${i}].model is "${r.model}", ladder[${i}] is "${a.ladder[i]}"`);
  });
  const stamped = stampVersions(a);
  if (a.classifier && stamped.classifier!.version !== a.classifier.version) {
    problems.push(
      `classifier.version ${a.classifier.version} does not match its content (${stamped.classifier!.version})`,
    );
  }
  if (stamped.version !== a.version) {
    problems.push(
      `version ${a.version} does not match the content (${stamped.version}): the file was edited after \`cascade calibrate\` wrote it`,
    );
  }
  if (problems.length > 0) throw new ArtefactError(file, problems);
  return a;
}

export function readArtefactFile(file: string): CalibrationArtefact {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ArtefactError(file, [code === 'ENOENT' ? 'no such file' : String(err)]);
  }
  return parseArtefact(text, file);
}

// ---------------------------------------------------------------------------------------------
// The artefacts of a config's tasks.

/** What the checks below read of a config (structurally: this module does not import the config's). */
export interface CalibratedTaskConfig {
  models: Record<string, { model?: string }>;
  tasks: Record<
    string,
    { route: string; calibration?: string; rungs: { model: string; confidence?: string }[] }
  >;
}

export interface TaskCalibrationIssue {
  task: string;
  message: string;
}

/**
 * Reads the artefact of every task with `calibration:` (a path relative to `baseDir`) and checks it
 * fits the task: the cascade route, a ladder of two or more rungs, the same models in the same
 * order (by model id or the endpoint's model name, which is what labelled data calls them), and a
 * confidence source the artefact was calibrated for. Returns the artefacts by task and the
 * problems (each naming the file and what to do).
 */
export function loadTaskCalibrations(
  config: CalibratedTaskConfig,
  baseDir: string,
): { calibrations: Record<string, CalibrationArtefact>; issues: TaskCalibrationIssue[] } {
  const calibrations: Record<string, CalibrationArtefact> = {};
  const issues: TaskCalibrationIssue[] = [];
  for (const [taskId, task] of Object.entries(config.tasks)) {
    if (task.calibration === undefined) continue;
    const add = (message: string) => issues.push({ task: taskId, message });
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
    if (artefact.ladder.length < 2) {
      add(
        `artefact ${artefact.version} (${file}) recommends no cascade: ${artefact.recommendation.reason}; ` +
          `give the task route: static with ${artefact.recommendation.model ?? artefact.ladder[0]} and no calibration`,
      );
    } else if (!(
      artefact.ladder.length === names.length &&
      artefact.ladder.every((m, i) => m === names[i]!.id || m === names[i]!.endpoint)
    )) {
      add(
        `artefact ${artefact.version} (${file}) was calibrated for the ladder ${artefact.ladder.join(' -> ')}, ` +
          `but the task's rungs are ${names.map((n) => n.id).join(' -> ')}: ` +
          (artefact.format === 2 && artefact.selection === 'subsets'
            ? `give the task the rungs ${artefact.ladder.join(', ')} (the ladder it chose), or recalibrate with --ladder ${names.map((n) => n.endpoint).join(',')}`
            : `recalibrate with --ladder ${names.map((n) => n.endpoint).join(',')}`),
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

/**
 * The classifier lookup a worker hands its classify activity: the classifiers of the artefacts of
 * the config(s) it has loaded, by artefact version, each compiled once. `current` returns the
 * artefacts in force (a watching worker's latest config); versions seen before stay findable, so
 * a request started just before a reload still finds the classifier its snapshot names.
 */
export function classifierLookup(
  current: () => Readonly<Record<string, CalibrationArtefact>>,
): ClassifierLookup {
  const compiled = new Map<string, LoadedClassifier>();
  return (version) => {
    const hit = compiled.get(version);
    if (hit) return hit;
    const a = Object.values(current()).find((x) => x.version === version);
    if (!a) return undefined;
    const entry: LoadedClassifier = {
      ladder: a.ladder,
      classifier: a.classifier ? compileClassifier(a.classifier) : null,
    };
    compiled.set(version, entry);
    return entry;
  };
}

/** A lookup over fixed artefacts (offline use: the benchmarks, tests). */
export function classifiersOf(...artefacts: CalibrationArtefact[]): ClassifierLookup {
  const byVersion = Object.fromEntries(artefacts.map((a) => [a.version, a]));
  return classifierLookup(() => byVersion);
}
