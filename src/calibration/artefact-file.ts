/**
 * Calibration artefacts on disk: stamping their content versions, writing them, reading and
 * validating them, and the process's table of loaded artefacts by version.
 *
 * The table is how the classify activity finds the classifier a request's policy snapshot names
 * (`policy.classifier.calibrationVersion`) without putting the weights in every workflow input:
 * every process that loads a config (client, worker, `cascade dev`) registers the artefacts it
 * read. Versions are content hashes, so entries never conflict and old ones stay valid; a worker
 * that has not loaded a version yet classifies with the rules baseline and says so in the trace.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  artefactContent,
  artefactSchema,
  type CalibrationArtefact,
  canonicalJson,
  classifierContent,
} from '../router/calibration/artefact';
import { type CompiledClassifier, compileClassifier } from '../router/classifier';

function hash12(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 12);
}

/** Sets `classifier.version` and `version` from the content (everything but versions and createdAt). */
export function stampVersions(a: CalibrationArtefact): CalibrationArtefact {
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

/** Parses and validates an artefact (shape, then that its versions match its content). */
export function parseArtefact(text: string, file: string): CalibrationArtefact {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ArtefactError(file, [`not valid JSON (${(err as Error).message})`]);
  }
  const parsed = artefactSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ArtefactError(
      file,
      parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`),
    );
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
// The process's loaded artefacts, by version.

interface Entry {
  artefact: CalibrationArtefact;
  classifier: CompiledClassifier | null;
}

const loaded = new Map<string, Entry>();

/** Makes an artefact findable by its version (idempotent); compiles its classifier once. */
export function registerArtefact(a: CalibrationArtefact): void {
  if (loaded.has(a.version)) return;
  loaded.set(a.version, { artefact: a, classifier: a.classifier ? compileClassifier(a.classifier) : null });
}

export function loadedArtefact(version: string): Entry | undefined {
  return loaded.get(version);
}
