/**
 * The synthetic recorded outcomes of data/synthetic (src/tools/synthetic-data/generate.ts): the files in the
 * repository are exactly what the generator makes from its seed, every set reads as recorded data
 * does (the recorded-model server's index, `cascade calibrate`'s labelled rows), the rows reach
 * every path of the recorded-model server, and the outcomes relate as a cascade needs them to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLabelledData } from '../../src/tools/calibrate/labelled-data';
import { loadDataset, parseJsonLine } from '../../src/tools/recorded-models/dataset';
import { trainClassifier } from '../../src/tools/calibrate/train-classifier';
import { DEFAULT_HASHING, promptFeatures } from '../../src/request/router/features';
import { checkJsonAnswer } from '../../src/request/router/json-schema';
import { parseSelfCheckPrompt } from '../../src/request/router/self-check';
import {
  generateFiles,
  generateSet,
  JSON_REPLIES_FILE,
  LADDERS,
  MODELS,
  SETS,
  SYNTHETIC_SEED,
  type SyntheticRow,
  TOOL_CALLS_FILE,
} from '../../src/tools/synthetic-data/generate';
import { type ToolCallAnswer } from '../../src/tools/synthetic-data/models';
import { shippedData } from '../helpers/data';

const DIR = shippedData('synthetic');
const files = generateFiles();

function filesOnDisk(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? filesOnDisk(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
    )
    .sort();
}

function rowsOf(name: string): SyntheticRow[] {
  return files
    .get(name)!
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseJsonLine(l) as SyntheticRow);
}

function auc(scores: number[], labels: boolean[]): number {
  let sum = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (!labels[i]) return;
    scores.forEach((n, j) => {
      if (labels[j]) return;
      pairs++;
      sum += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return sum / pairs;
}

const accuracy = (rows: SyntheticRow[], m: string) =>
  rows.filter((r) => r.models[m]!.correct).length / rows.length;
const meanCost = (rows: SyntheticRow[], m: string) =>
  rows.reduce((s, r) => s + r.models[m]!.cost_usd, 0) / rows.length;

describe('data/synthetic', () => {
  it('holds exactly the files the generator makes from its seed, byte for byte (npm run data:synthetic)', () => {
    expect(filesOnDisk(DIR)).toEqual([...files.keys()].sort());
    for (const [name, text] of files) {
      expect(
        fs.readFileSync(path.join(DIR, name), 'utf8') === text,
        `${name} differs from the generator's`,
      ).toBe(true);
    }
    expect(files.get('README.md')).toContain('not outputs of real models');
    expect(files.get('README.md')).toContain('npm run data:synthetic');
  });

  it('is the same for the same seed and another for another seed', () => {
    const spec = SETS.find((s) => s.file === 'medmcqa_llama.jsonl')!;
    expect(generateSet(spec, SYNTHETIC_SEED)).toEqual(rowsOf(spec.file));
    const other = generateSet(spec, SYNTHETIC_SEED + 1);
    expect(other).toHaveLength(spec.rows);
    expect(other.map((r) => r.prompt)).not.toEqual(rowsOf(spec.file).map((r) => r.prompt));
  });
});

describe('the synthetic sets read as recorded data', () => {
  it("every set is indexed by the recorded-model server's loader, each (model, prompt) once", async () => {
    for (const spec of SETS) {
      const ds = await loadDataset([path.join(DIR, spec.file)]);
      const models = LADDERS[spec.ladder];
      expect(ds.models(), spec.file).toEqual([...models].sort());
      expect(ds.stats.rows).toBe(spec.rows);
      // The MMLU sets repeat one query (as the recorded one does): its second copy is a duplicate.
      expect(ds.stats.duplicates).toBe(spec.duplicate ? models.length : 0);
      expect(ds.stats.servable).toBe(ds.stats.entries - ds.stats.duplicates);
    }
    const json = await loadDataset([path.join(DIR, JSON_REPLIES_FILE)]);
    expect(json.stats.servable).toBe(json.stats.entries);
    // A folder is read without its subfolders: the tool calls (object answers) stay out of it.
    const folder = await loadDataset([DIR]);
    expect(folder.files).toHaveLength(SETS.length + 1);
  });

  it('every set is labelled data for its ladder (`cascade calibrate`, `cascade advise`)', () => {
    for (const spec of SETS) {
      const ladder = [...LADDERS[spec.ladder]];
      const data = readLabelledData([path.join(DIR, spec.file)], ladder, {});
      expect(data.rows, spec.file).toHaveLength(spec.rows);
      // Every rung but the last checks its confidence, read as the set's kind.
      for (const m of ladder.slice(0, -1)) {
        expect(data.rows.every((r) => r.outcomes[m]!.kind === spec.kind && r.outcomes[m]!.raw !== null)).toBe(
          true,
        );
      }
    }
  });

  it("reaches every path of the recorded-model server: logprobs, self-checks, -Infinity, 0, non-letters, missing '####'", () => {
    const all = SETS.flatMap((s) => rowsOf(s.file).map((r) => ({ spec: s, row: r })));
    const entries = all.flatMap(({ spec, row }) => Object.values(row.models).map((e) => ({ spec, e })));
    expect(new Set(entries.map(({ e }) => e.confidence_kind))).toEqual(
      new Set(['answer_logprob', 'self_check_log_p_yes']),
    );
    // A self-check that put no mass on "yes" (served clamped), one rounded to exactly 0.
    expect(entries.some(({ e }) => e.raw_confidence === -Infinity)).toBe(true);
    expect(files.get('triviaqa_qwen.jsonl')).toContain('"raw_confidence": -Infinity');
    expect(entries.some(({ e }) => e.raw_confidence === 0)).toBe(true);
    // Multiple-choice answers that are not a letter (a schema check rejects them).
    const letters = entries.filter(({ spec }) => spec.kind === 'answer_logprob');
    expect(letters.some(({ e }) => !['A', 'B', 'C', 'D'].includes(e.answer as string))).toBe(true);
    expect(
      letters.filter(({ e }) => ['A', 'B', 'C', 'D'].includes(e.answer as string)).length,
    ).toBeGreaterThan(0.98 * letters.length);
    // Math answers end with their number, except now and then.
    const math = entries.filter(({ spec }) => spec.task === 'gsm8k').map(({ e }) => e.answer as string);
    expect(math.filter((a) => /\n#### -?[\d.]+$/.test(a)).length).toBeGreaterThan(0.95 * math.length);
    expect(math.some((a) => !a.includes('####'))).toBe(true);
    // A self-check prompt built from any recorded answer parses back to it (src/request/router/self-check.ts).
    for (const { e } of entries.filter(({ spec }) => spec.kind === 'self_check_log_p_yes').slice(0, 500)) {
      const answer = e.answer as string;
      expect(
        parseSelfCheckPrompt(
          `p\n\nProposed answer: ${answer}\n\nIs the proposed answer correct? Answer "Yes" or "No".`,
        ),
      ).toEqual({
        prompt: 'p',
        answer,
      });
    }
    // Costs are the tokens at the model's list price; a self-check row's holds both calls.
    for (const { spec, row } of all.filter(({ spec }) => spec.kind === 'answer_logprob').slice(0, 50)) {
      for (const [m, e] of Object.entries(row.models)) {
        const p = MODELS[m]!.price;
        expect(e.cost_usd, `${spec.file} ${row.id} ${m}`).toBe(
          (e.tokens.in * p.in + e.tokens.out * p.out) / 1e6,
        );
      }
    }
    const check = all.find(({ spec }) => spec.kind === 'self_check_log_p_yes')!;
    for (const [m, e] of Object.entries(check.row.models)) {
      const p = MODELS[m]!.price;
      expect(e.cost_usd).toBeGreaterThan((1.5 * (e.tokens.in * p.in + e.tokens.out * p.out)) / 1e6);
    }
  });
});

describe('the synthetic outcomes relate as a cascade needs them to', () => {
  it('bigger models are more accurate and dearer', () => {
    for (const spec of SETS) {
      const rows = rowsOf(spec.file);
      const ladder = LADDERS[spec.ladder];
      const [small, large] = [ladder[0]!, ladder[ladder.length - 1]!];
      expect(accuracy(rows, large), spec.file).toBeGreaterThan(accuracy(rows, small));
      expect(meanCost(rows, large), spec.file).toBeGreaterThan(5 * meanCost(rows, small));
      // The GPT/Qwen ladder is not monotone (a qwen beats gpt-4o on MMLU, as in the recorded set).
      if (spec.ladder !== 'llama') continue;
      expect(accuracy(rows, large), spec.file).toBeGreaterThan(accuracy(rows, small) + 0.2);
      for (let i = 1; i < ladder.length; i++) {
        expect(accuracy(rows, ladder[i]!), `${spec.file} ${ladder[i]}`).toBeGreaterThan(
          accuracy(rows, ladder[i - 1]!) - 0.05,
        );
        expect(meanCost(rows, ladder[i]!)).toBeGreaterThanOrEqual(meanCost(rows, ladder[i - 1]!));
      }
    }
  });

  it('models agree on easy queries: the large model is right on most of what the small one gets right', () => {
    for (const spec of SETS) {
      const rows = rowsOf(spec.file);
      const ladder = LADDERS[spec.ladder];
      const [small, large] = [ladder[0]!, ladder[ladder.length - 1]!];
      const smallRight = rows.filter((r) => r.models[small]!.correct);
      expect(accuracy(smallRight, large), spec.file).toBeGreaterThan(accuracy(rows, large));
    }
  });

  it('confidence is informative but noisy: it ranks right above wrong answers, and not perfectly', () => {
    for (const spec of SETS) {
      const rows = rowsOf(spec.file);
      // llama3.2-1b's self-checks say "no" to nearly everything, as the recorded ones do.
      const models = LADDERS[spec.ladder].filter(
        (m) => !(m === 'llama3.2-1b' && spec.kind === 'self_check_log_p_yes') && accuracy(rows, m) < 0.95,
      );
      for (const m of models) {
        const a = auc(
          rows.map((r) => r.models[m]!.raw_confidence!),
          rows.map((r) => r.models[m]!.correct),
        );
        expect(a, `${spec.file} ${m}`).toBeGreaterThan(0.6);
        expect(a, `${spec.file} ${m}`).toBeLessThan(0.99);
      }
    }
  });

  it('prompts say something about difficulty: the pre-route classifier learns it out of fold', () => {
    for (const file of ['gsm8k_llama.jsonl', 'triviaqa_llama.jsonl']) {
      const ladder = ['llama3.1-8b', 'llama3.1-405b'];
      const data = readLabelledData([path.join(DIR, file)], ladder, {});
      // The classifier's own trainer on every row, 5-fold: the data property, apart from how the
      // calibration splits its rows (src/tools/calibrate/fit.ts trains on its fit part only).
      const trained = trainClassifier(
        data.rows.map((r) => promptFeatures(r.messages, DEFAULT_HASHING)),
        { [ladder[0]!]: data.rows.map((r) => r.outcomes[ladder[0]!]!.correct) },
        data.rows.map((r) => r.task),
        { hashing: DEFAULT_HASHING, folds: 5, seed: 1 },
      );
      expect(trained.model.heads[ladder[0]!]!.report.heldOut.auc, file).toBeGreaterThan(0.6);
    }
  });
});

describe('structured replies', () => {
  it('JSON replies: right ones parse to the reference and meet the schema; wrong ones fail as models do', () => {
    const rows = rowsOf(JSON_REPLIES_FILE);
    expect(rows.length).toBeGreaterThanOrEqual(50);
    const failures = { unparseable: 0, schema: 0, value: 0 };
    for (const row of rows) {
      expect(row.task).toBe('extract');
      expect(checkJsonAnswer(row.responseSchema, row.reference as string).valid).toBe(true);
      for (const e of Object.values(row.models)) {
        const answer = e.answer as string;
        expect(typeof answer).toBe('string');
        expect(e.confidence_kind).toBe('self_check_log_p_yes');
        if (e.correct) {
          expect(JSON.parse(answer)).toEqual(JSON.parse(row.reference as string));
          continue;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(answer);
        } catch {
          failures.unparseable++;
          continue;
        }
        if (!checkJsonAnswer(row.responseSchema, answer).valid) failures.schema++;
        else {
          expect(parsed).not.toEqual(JSON.parse(row.reference as string));
          failures.value++;
        }
      }
    }
    expect(failures.unparseable).toBeGreaterThan(0);
    expect(failures.schema).toBeGreaterThan(0);
    expect(failures.value).toBeGreaterThan(0);
  });

  it('tool calls: OpenAI-shaped calls of offered tools; right ones match the reference', () => {
    expect(TOOL_CALLS_FILE.startsWith('tools/')).toBe(true);
    const rows = rowsOf(TOOL_CALLS_FILE);
    expect(rows.length).toBeGreaterThanOrEqual(50);
    const call = (a: ToolCallAnswer) => a.tool_calls.map((c) => [c.function.name, c.function.arguments]);
    const kinds = { text: 0, badJson: 0, wrongCall: 0 };
    for (const row of rows) {
      const offered = (row.tools as { function: { name: string } }[]).map((t) => t.function.name);
      for (const e of Object.values(row.models)) {
        if (typeof e.answer === 'string') {
          if (e.correct) expect(e.answer).toBe(row.reference);
          else kinds.text++;
          continue;
        }
        for (const c of e.answer.tool_calls) {
          expect(c.id).toMatch(/^call_[0-9a-f]{8}$/);
          expect(c.type).toBe('function');
          expect(offered).toContain(c.function.name);
        }
        if (e.correct) {
          expect(call(e.answer)).toEqual(call(row.reference as ToolCallAnswer));
          continue;
        }
        try {
          e.answer.tool_calls.forEach((c) => JSON.parse(c.function.arguments));
          kinds.wrongCall++;
        } catch {
          kinds.badJson++;
        }
      }
    }
    expect(kinds.text).toBeGreaterThan(0);
    expect(kinds.badJson).toBeGreaterThan(0);
    expect(kinds.wrongCall).toBeGreaterThan(0);
    // Some requests need no tool: the right reply is text.
    expect(rows.some((r) => typeof r.reference === 'string')).toBe(true);
  });
});
