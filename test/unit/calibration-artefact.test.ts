import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtefactError, readArtefactFile, stampVersions } from '../../src/request/config-file/artefact-file';
import { LabelledDataError, readLabelledData } from '../../src/tools/calibrate/labelled-data';
import { runCalibration, type CalibrateOutcome } from '../../src/tools/calibrate/run';
import { ConfigError } from '../../src/request/config/errors';
import { loadConfig, parseConfig } from '../../src/request/config-file/load';
import { seededRandom } from '../../src/request/router/random';
import { buildPolicySnapshot } from '../../src/request/router/policy';

let dir: string;
let dataFile: string;
let outcome: CalibrateOutcome;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const WORDS = ['river', 'planet', 'theorem', 'protein', 'treaty', 'sonnet', 'enzyme', 'glacier'];

/** A labelled set in the shape of ../shared/data: small (logprob confidence) and large. */
function labelledLines(n: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const raw = -3 * rnd();
    const small = rnd() < sigmoid(2 * raw + 3.5);
    const large = rnd() < 0.9;
    const w = WORDS[i % WORDS.length]!;
    return JSON.stringify({
      id: `q-${i}`,
      task: 'quiz',
      system: 'Answer with one letter.',
      prompt: `Question ${i}: which ${w} is meant?\nA: one\nB: two\nAnswer:`,
      models: {
        small: {
          correct: small,
          raw_confidence: raw,
          confidence_kind: 'answer_logprob',
          cost_usd: 1e-5,
          tokens: { in: 40, out: 1 },
        },
        large: {
          correct: large,
          raw_confidence: -0.1,
          confidence_kind: 'answer_logprob',
          cost_usd: 2e-4,
          tokens: { in: 40, out: 1 },
        },
      },
    });
  });
}

function write(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function configText(calibration: string, extra = ''): string {
  return `
models:
  small: { provider: openai-compatible, baseUrl: http://localhost:8788/v1, pricing: { inputPerMTok: 0.25, outputPerMTok: 0.25 } }
  large: { provider: openai-compatible, baseUrl: http://localhost:8788/v1, pricing: { inputPerMTok: 5, outputPerMTok: 5 } }
  other: { provider: openai-compatible, baseUrl: http://localhost:8788/v1, pricing: { inputPerMTok: 5, outputPerMTok: 5 } }
tasks:
  quiz:
    route: cascade
    calibration: ${calibration}
    rungs:
      - { model: small${extra} }
      - { model: large }
`;
}

function configError(text: string): ConfigError {
  try {
    parseConfig(text, path.join(dir, 'cascade.config.yaml'), { baseDir: dir });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-cal-'));
  dataFile = write('quiz.jsonl', labelledLines(240, 1));
  outcome = runCalibration({
    train: [dataFile],
    ladder: ['small', 'large'],
    target: 0.95,
    confidence: 0.9,
    out: path.join(dir, 'out'),
    resamples: 300,
    now: new Date('2026-01-01T00:00:00Z'),
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the calibration artefact', () => {
  it('is versioned by content and round-trips through its file', () => {
    const a = outcome.artefact;
    expect(a.version).toMatch(/^cal-[0-9a-f]{12}$/);
    expect(a.classifier?.version).toMatch(/^clf-[0-9a-f]{12}$/);
    expect(a.ladder).toEqual(['small', 'large']);
    expect(a.training).toMatchObject({ rows: 240, files: [{ name: 'quiz.jsonl', rows: 240 }] });
    expect(a.target).toMatchObject({
      relativeQuality: 0.95,
      confidence: 0.9,
      bound: 'learn-then-test',
      statistic: 'bet-or-thinned-binomial',
      sequence: 'fixed-sequence',
    });
    expect(a.format).toBe(2);
    // What was considered and how the rows were split are on the record.
    expect(a.candidates).toEqual(['small', 'large']);
    expect(a.selection).toBe('ladder');
    expect(a.split.fitRows + a.split.testRows).toBe(240);
    expect(a.split.fitRows).toBe(72);
    expect(a.search.policies).toBeGreaterThan(10);
    expect(a.guarantee).toMatch(/^With probability at least 90% over the labelled sample/);
    expect(a.rungs[0]!.confidenceKind).toBe('answer_logprob');
    expect(['platt', 'piecewise']).toContain(a.rungs[0]!.calibration.kind);
    expect(a.chosen.intervals.savings).toHaveLength(2);
    expect(readArtefactFile(outcome.files.versioned)).toEqual(a);
    expect(readArtefactFile(outcome.files.latest)).toEqual(a);
    expect(path.basename(outcome.files.versioned)).toBe(`${a.version}.json`);
    // createdAt is not content: the same fit at another time has the same version.
    const again = runCalibration({
      train: [dataFile],
      ladder: ['small', 'large'],
      target: 0.95,
      confidence: 0.9,
      out: path.join(dir, 'again'),
      resamples: 300,
      now: new Date('2027-06-01T00:00:00Z'),
    });
    expect(again.artefact.version).toBe(a.version);
  });

  it('refuses a file edited after it was written', () => {
    const edited = JSON.parse(fs.readFileSync(outcome.files.latest, 'utf8')) as {
      rungs: { threshold: number }[];
    };
    edited.rungs[0]!.threshold = 0.01;
    const file = path.join(dir, 'edited.json');
    fs.writeFileSync(file, JSON.stringify(edited));
    expect(() => readArtefactFile(file)).toThrow(ArtefactError);
    expect(() => readArtefactFile(file)).toThrow(/does not match the content/);
  });

  it('draws the curve as an SVG with the chosen point', () => {
    const svg = fs.readFileSync(outcome.files.svg, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<polyline');
    expect(svg).toContain('chosen: cost');
    expect(svg).toContain(outcome.artefact.version);
  });
});

describe('a task pointing to an artefact (config load)', () => {
  it('loads it relative to the config file, and the snapshot carries its version, maps and thresholds', () => {
    const cfg = path.join(dir, 'cascade.config.yaml');
    fs.writeFileSync(cfg, configText('out/calibration.json'));
    const loaded = loadConfig(cfg);
    const a = outcome.artefact;
    expect(loaded.calibrations.quiz!.version).toBe(a.version);
    const snap = buildPolicySnapshot(loaded.config, loaded.version, 'quiz', {
      requestId: 'r1',
      calibrations: loaded.calibrations,
    });
    expect(snap.calibrationVersion).toBe(a.version);
    expect(snap.rungs[0]).toMatchObject({
      confidence: 'answer_logprob', // from the artefact: the config gave none
      calibration: a.rungs[0]!.calibration,
      threshold: a.rungs[0]!.threshold,
      skip: a.rungs[0]!.skip,
    });
    expect(snap.classifier).toEqual({ version: a.classifier!.version, calibrationVersion: a.version });
    // The artefacts are handed over explicitly: without them the snapshot refuses the task.
    expect(() =>
      buildPolicySnapshot(loaded.config, loaded.version, 'quiz', { requestId: 'r1', calibrations: {} }),
    ).toThrow(/names calibration .* but its artefact was not given/);
    // A recalibration is a new config version.
    const plain = parseConfig(
      configText('out/calibration.json')
        .replace(/\n\s+calibration:.*\n/, '\n')
        .replace('small }', 'small, confidence: answer_logprob, threshold: 0.5 }'),
    );
    expect(plain.version).not.toBe(loaded.version);
  });

  it('names tasks.<t>.calibration when the artefact does not fit the task', () => {
    const mismatch = configError(
      configText('out/calibration.json').replace('- { model: large }', '- { model: other }'),
    );
    expect(mismatch.issues).toEqual([
      expect.objectContaining({
        path: 'tasks.quiz.calibration',
        message: expect.stringMatching(
          /calibrated for the ladder small -> large, but the task's rungs are small -> other/,
        ),
      }),
    ]);
    const confidence = configError(configText('out/calibration.json', ', confidence: self_check'));
    expect(confidence.issues[0]).toMatchObject({
      path: 'tasks.quiz.calibration',
      message: expect.stringMatching(
        /uses confidence "self_check", but artefact cal-\w+ calibrated "answer_logprob"/,
      ),
    });
    const missing = configError(configText('out/nope.json'));
    expect(missing.issues[0]).toMatchObject({
      path: 'tasks.quiz.calibration',
      message: expect.stringMatching(/no such file/),
    });
    const route = configError(
      configText('out/calibration.json').replace('route: cascade', 'route: latency-budget'),
    );
    expect(route.issues[0]!.path).toBe('tasks.quiz.calibration');
    expect(route.message).toContain('tasks.quiz.calibration');
  });

  it('an artefact written before format 2 still loads, with its version, maps and thresholds', () => {
    const fixture = path.resolve(__dirname, '../fixtures/calibration/replay-gsm8k.json');
    const raw = JSON.parse(fs.readFileSync(fixture, 'utf8')) as { version: string; format: number };
    expect(raw.format).toBe(1);
    const old = readArtefactFile(fixture);
    expect(old.version).toBe(raw.version);
    expect(old.target.bound).toBe('bootstrap-percentile');
  });

  it('a format-2 artefact tested with the thinned binomial alone (before the bet) still loads', () => {
    const a = outcome.artefact;
    const { rows, losses, wins, bothRight } = a.chosen.test;
    const before = stampVersions({
      ...a,
      target: { ...a.target, statistic: 'thinned-binomial' as const },
      chosen: {
        ...a.chosen,
        test: { rows, losses, wins, bothRight, debits: losses, marked: losses + wins + 3 },
      },
    });
    const file = path.join(dir, 'before-bet', 'calibration.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(before));
    const read = readArtefactFile(file);
    expect(read.version).toBe(before.version);
    expect(read).toMatchObject({
      target: { statistic: 'thinned-binomial' },
      chosen: { test: before.chosen.test },
    });
  });

  it('an artefact this build cannot read names the file and the command that makes it again', () => {
    const future = { ...JSON.parse(fs.readFileSync(outcome.files.latest, 'utf8')), format: 3 };
    const file = path.join(dir, 'future', 'calibration.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(future));
    expect(() => readArtefactFile(file)).toThrow(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: format 3 is not one this cascade-router reads \\(formats 1, 2\\).*` +
          'cascade calibrate --train quiz.jsonl --ladder small,large --target 0.95 --confidence 0.9 --out ',
      ),
    );
    const broken = { ...JSON.parse(fs.readFileSync(outcome.files.latest, 'utf8')), chosen: undefined };
    fs.writeFileSync(file, JSON.stringify(broken));
    expect(() => readArtefactFile(file)).toThrow(
      /chosen: .*make it again with: cascade calibrate --train quiz\.jsonl/,
    );
  });

  it('a hand-stamped artefact must still match its ladder', () => {
    const bad = stampVersions({ ...outcome.artefact, ladder: ['small', 'huge'] });
    const file = path.join(dir, 'bad-ladder.json');
    fs.writeFileSync(file, JSON.stringify(bad));
    expect(() => readArtefactFile(file)).toThrow(/rungs\[1\]\.model is "large", ladder\[1\] is "huge"/);
  });
});

describe('bad labelled data gets an error naming the file and line', () => {
  const good = () => labelledLines(20, 2);
  const fail = (lines: string[], ladder = ['small', 'large']): LabelledDataError => {
    const file = write(`bad-${Math.random().toString(36).slice(2)}.jsonl`, lines);
    try {
      readLabelledData([file], ladder);
    } catch (err) {
      if (err instanceof LabelledDataError) {
        expect(err.message.startsWith(file)).toBe(true);
        return err;
      }
      throw err;
    }
    throw new Error('expected the data to be refused');
  };

  it('a missing field', () => {
    const lines = good();
    const row = JSON.parse(lines[4]!) as { models: { small: Record<string, unknown> } };
    delete row.models.small.correct;
    lines[4] = JSON.stringify(row);
    expect(fail(lines)).toMatchObject({ line: 5, detail: 'missing field "models.small.correct"' });

    const noPrompt = good();
    noPrompt[2] = noPrompt[2]!.replace('"prompt"', '"question"');
    expect(fail(noPrompt)).toMatchObject({
      line: 3,
      detail: expect.stringContaining('missing field "prompt"'),
    });

    const noConfidence = good();
    const r = JSON.parse(noConfidence[7]!) as { models: { small: Record<string, unknown> } };
    delete r.models.small.raw_confidence;
    noConfidence[7] = JSON.stringify(r);
    expect(fail(noConfidence)).toMatchObject({
      line: 8,
      detail: expect.stringContaining('missing field "models.small.raw_confidence"'),
    });
  });

  it('a NaN confidence (as Python writes it, or as a string)', () => {
    const lines = good();
    lines[9] = lines[9]!.replace(/"raw_confidence": -?[\d.e-]+/, '"raw_confidence": NaN');
    lines[9] = lines[9]!.replace(/"raw_confidence":-?[\d.e-]+/, '"raw_confidence":NaN');
    expect(fail(lines)).toMatchObject({
      line: 10,
      detail: 'models.small.raw_confidence is NaN, not a number',
    });
    const str = good();
    str[0] = str[0]!.replace(/"raw_confidence":-?[\d.e-]+/, '"raw_confidence":"NaN"');
    expect(fail(str)).toMatchObject({ line: 1, detail: 'models.small.raw_confidence is NaN, not a number' });
  });

  it('accepts log P = -Infinity (P = 0), which recorded data has', () => {
    const lines = good();
    lines[3] = lines[3]!.replace(/"raw_confidence":-?[\d.e-]+/, '"raw_confidence":-Infinity');
    const file = write('neg-inf.jsonl', lines);
    const data = readLabelledData([file], ['small', 'large']);
    expect(data.rows[3]!.outcomes.small!.raw).toBe(-100);
  });

  it('a single class', () => {
    const lines = good().map((l) => l.replace(/("small":\{"correct":)(true|false)/, '$1true'));
    const err = fail(lines);
    expect(err.detail).toMatch(/a single class: every row has models\.small\.correct = true/);
    expect(err.detail).toMatch(/lines 1-20/);
  });

  it('an unknown model in --ladder', () => {
    expect(fail(good(), ['small', 'gpt-9'])).toMatchObject({
      line: 1,
      detail: 'unknown model "gpt-9" in --ladder: this file\'s models are small, large',
    });
  });

  it('a line that is not JSON', () => {
    const lines = good();
    lines[5] = '{"id": "broken"';
    expect(fail(lines)).toMatchObject({ line: 6, detail: expect.stringMatching(/not valid JSON/) });
  });
});
