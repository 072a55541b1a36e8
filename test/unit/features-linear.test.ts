/**
 * Prompt features in linear time, with the same values (issue #16).
 *
 * The INSTRUCTION, ENUMERATION and CHOICE_ASK regexes the features used (`^\s*...`, multiline)
 * took quadratic time on runs of blank lines (1.1 s for 10,000 newlines, 11 s for 40,000), and
 * the classify step runs them synchronously on a worker for bodies of up to 1 MiB. Their
 * replacement must give exactly the values the old regexes gave, since classifiers and
 * calibration artefacts trained on those values are committed (test/fixtures/calibration/,
 * data/demo/calibration/). So:
 *
 * - every prompt (and every recorded answer, as a harder text) of the shipped data, and of
 *   ../shared/data when it is here, has the same structural and hashed features as under the old
 *   implementation (test/helpers/features-v1.ts, kept verbatim);
 * - so have thousands of generated adversarial texts (blank-line runs, every kind of line
 *   terminator and whitespace, nested lists, enumerations, option lines), and every UTF-16 code
 *   unit placed where `\s` decides a match;
 * - a megabyte of adversarial prompt finishes (in a worker thread, so that a quadratic regression
 *   fails by the test's timeout instead of freezing the run), and what the features read of it
 *   is bounded: FEATURE_TEXT_LIMIT characters.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/request/providers/types';
import { parseJsonLine } from '../../src/tools/recorded-models/dataset';
import {
  FEATURE_TEXT_LIMIT,
  featureText,
  hashedLexicalFeatures,
  promptFeatures,
  promptText,
  ruleComplexity,
  structuralFeatures,
} from '../../src/request/router/features';
import { SHIPPED_DATA } from '../helpers/data';
import * as v1 from '../helpers/features-v1';
import { hasSharedData, SHARED_DATA_DIR } from '../helpers/shared-data';

function jsonlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => path.join(dir, f))
    .sort();
}

/** The texts of a data row: its request as the client builds it, and each answer on its own. */
function rowMessages(row: Record<string, unknown>): ChatMessage[][] {
  const out: ChatMessage[][] = [];
  const str = (v: unknown): v is string => typeof v === 'string' && v !== '';
  if (Array.isArray(row.messages)) {
    out.push(
      (row.messages as { role: ChatMessage['role']; content: unknown }[])
        .filter((m) => str(m.content))
        .map((m) => ({ role: m.role, content: m.content as string })),
    );
  }
  if (str(row.prompt)) {
    out.push([
      ...(str(row.system) ? [{ role: 'system' as const, content: row.system }] : []),
      { role: 'user', content: row.prompt },
    ]);
  }
  if (Array.isArray(row.turns))
    out.push(row.turns.filter(str).map((t) => ({ role: 'user' as const, content: t })));
  for (const field of ['user_prompt', 'answer', 'judgment', 'reference']) {
    if (str(row[field])) out.push([{ role: 'user', content: row[field] }]);
  }
  if (row.models && typeof row.models === 'object') {
    for (const m of Object.values(row.models as Record<string, { answer?: unknown }>)) {
      if (str(m?.answer)) out.push([{ role: 'user', content: m.answer }]);
    }
  }
  return out.filter((m) => m.length > 0);
}

/** Structural features added after v1 (issue #15): not in v1, so not compared value for value. */
const ADDED_SINCE_V1 = ['fractions', 'percentages'];

/** Compares the old and new features of one prompt; returns a description of the first difference. */
function difference(messages: ChatMessage[]): string | null {
  const a = v1.promptFeatures(messages);
  const b = promptFeatures(messages);
  for (const k of Object.keys(a.structural) as (keyof typeof a.structural)[]) {
    if (!Object.is(a.structural[k], b.structural[k])) {
      return `${k}: ${a.structural[k]} before, ${b.structural[k]} now, for ${JSON.stringify(promptText(messages).slice(0, 200))}`;
    }
  }
  // The features are v1's plus the ones added since (read by classifiers trained after them only).
  const names = [...Object.keys(a.structural), ...ADDED_SINCE_V1].sort().join();
  if (names !== Object.keys(b.structural).sort().join()) return 'feature names differ';
  if (v1.ruleComplexity(a.structural) !== ruleComplexity(b.structural)) return 'rules-v1 score differs';
  const same =
    a.lexical.indices.length === b.lexical.indices.length &&
    a.lexical.indices.every((x, i) => x === b.lexical.indices[i]) &&
    a.lexical.values.every((x, i) => Object.is(x, b.lexical.values[i]));
  return same ? null : `hashed features differ for ${JSON.stringify(promptText(messages).slice(0, 200))}`;
}

function compareFiles(files: string[]): { prompts: number; longest: number; diffs: string[] } {
  let prompts = 0;
  let longest = 0;
  const diffs: string[] = [];
  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      for (const messages of rowMessages(parseJsonLine(line) as Record<string, unknown>)) {
        prompts++;
        longest = Math.max(longest, promptText(messages).length);
        const d = difference(messages);
        if (d && diffs.length < 5) diffs.push(`${path.basename(file)}:${i + 1}: ${d}`);
      }
    }
  }
  return { prompts, longest, diffs };
}

describe('feature values do not change', () => {
  it('on every prompt and answer of the shipped data (data/**/*.jsonl)', () => {
    const files = jsonlFiles(SHIPPED_DATA);
    for (const f of ['routellm/gsm8k.jsonl', 'routellm/mmlu.jsonl', 'synthetic/mmlu_llama.jsonl'])
      expect(files).toContain(path.join(SHIPPED_DATA, f));
    const r = compareFiles(files);
    expect(r.diffs).toEqual([]);
    expect(r.prompts).toBeGreaterThan(10_000);
    // Ordinary prompts are read whole: the bound is far above them.
    expect(r.longest).toBeLessThan(FEATURE_TEXT_LIMIT);
  });

  it.skipIf(!hasSharedData())(
    'on every prompt and answer of ../shared/data',
    () => {
      const r = compareFiles(jsonlFiles(SHARED_DATA_DIR));
      expect(r.diffs).toEqual([]);
      expect(r.prompts).toBeGreaterThan(10_000);
      expect(r.longest).toBeLessThan(FEATURE_TEXT_LIMIT);
    },
    120_000,
  );

  it('on a long ordinary prompt under the bound (every shipped MMLU prompt, concatenated)', () => {
    const text = fs
      .readFileSync(path.join(SHIPPED_DATA, 'routellm/mmlu.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (parseJsonLine(l) as { prompt: string }).prompt)
      .join('\n\n')
      .slice(0, FEATURE_TEXT_LIMIT);
    expect(text.length).toBe(FEATURE_TEXT_LIMIT);
    expect(difference([{ role: 'user', content: text }])).toBeNull();
  });

  /** A small seeded generator (mulberry32): the same cases on every run. */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const PIECES = [
    '\n',
    '\n',
    '\n\n\n',
    '\r',
    '\r\n',
    '\u2028',
    '\u2029',
    ' ',
    '  ',
    '\t',
    '\v',
    '\f',
    '\u00a0',
    '\u3000',
    '\ufeff',
    '\u180e',
    '\u200b',
    '-',
    '*',
    '•',
    '1',
    '12',
    '.',
    ')',
    ':',
    ';',
    '?',
    'A',
    'a',
    'D',
    'd',
    'E',
    'H',
    'i',
    'b)',
    'C.',
    '3.',
    '4)',
    '- ',
    '* ',
    '• ',
    'list',
    'List ',
    'please ',
    'PLEASE\n',
    'explain',
    'explains',
    'write ',
    'correctly',
    'summarise',
    'if ',
    'unless ',
    'choice',
    'options',
    'multiple-choice',
    'json',
    'yes or no',
    '```',
    '"parameters": {',
    'x',
    'word ',
    'é',
    'İ',
    'ſ',
    'K',
    '\ud83d\ude00',
  ];

  it('on 3,000 generated adversarial texts', () => {
    const next = rng(16);
    const diffs: string[] = [];
    for (let i = 0; i < 3_000; i++) {
      const parts: string[] = [];
      const n = 1 + Math.floor(next() * (i % 10 === 0 ? 1_500 : 120));
      for (let k = 0; k < n; k++) parts.push(PIECES[Math.floor(next() * PIECES.length)]!);
      const messages: ChatMessage[] =
        next() < 0.3
          ? [
              { role: 'system', content: parts.slice(0, n >> 1).join('') },
              { role: 'user', content: parts.slice(n >> 1).join('') },
            ]
          : [{ role: 'user', content: parts.join('') }];
      const d = difference(messages);
      if (d && diffs.length < 5) diffs.push(d);
    }
    expect(diffs).toEqual([]);
  });

  it('on the shapes that made the old regexes quadratic, at sizes the old ones still finish', () => {
    const shapes: Record<string, string> = {
      'blank lines': '\n'.repeat(3_000),
      'blank lines then a verb': '\n'.repeat(3_000) + 'list the steps',
      'spaces and newlines': ' \n'.repeat(1_500) + '  - explain',
      'CRLF lines': '\r\n'.repeat(1_500) + '1. write',
      'unicode line separators': '\u2028\u00a0'.repeat(1_500) + 'A) x',
      'nested list': Array.from({ length: 400 }, (_, i) => `${' '.repeat(i % 12)}- item ${i}\n`).join(''),
      'nested list of instructions': Array.from(
        { length: 400 },
        (_, i) => `${'  '.repeat(i % 6)}${i % 3 ? '*' : '-'} please explain ${i}\n\n`,
      ).join(''),
      'huge enumeration': Array.from({ length: 800 }, (_, i) => `${i + 1}. option ${i}\n`).join(''),
      'lettered options': Array.from({ length: 800 }, (_, i) => `${'ABCDEFGH'[i % 8]}) choice ${i}\n`).join(
        '',
      ),
      'bullets without text': '- \n'.repeat(1_500),
      'digits without a dot': ('1'.repeat(300) + '\n').repeat(20),
      'punctuation runs': ('-*.).'.repeat(200) + ' \n\n').repeat(10),
      'an instruction after a long indent': ' '.repeat(4_000) + 'Return JSON',
      'option line at the end of a long blank run': 'Pick one.' + '\n'.repeat(3_000) + 'B: yes',
    };
    for (const [name, content] of Object.entries(shapes)) {
      expect(difference([{ role: 'user', content }]), name).toBeNull();
      expect(
        difference([
          { role: 'system', content: 'Answer.' },
          { role: 'user', content },
        ]),
        name,
      ).toBeNull();
    }
  });

  it('with every UTF-16 code unit where `\\s` decides whether a line matches', () => {
    // Each code unit as the leading whitespace of an instruction, an enumeration and an option
    // line (the ask window), and as what follows an enumeration's marker.
    const diffs: string[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      const content = `x\n${ch}list it\n${ch}${ch}- a\nb)${ch}c\n${ch}A: d\n2.${ch}`;
      const d = difference([{ role: 'user', content }]);
      if (d && diffs.length < 5) diffs.push(`U+${c.toString(16).padStart(4, '0')}: ${d}`);
    }
    expect(diffs).toEqual([]);
  });
});

describe('bounded and linear', () => {
  it('reads at most FEATURE_TEXT_LIMIT characters: its first and last halves', () => {
    const head = 'List the steps. If it is empty, explain why.\n'.repeat(4_000);
    const tail = 'A: yes\nB: no\nAnswer with JSON. How many?\n'.repeat(4_000);
    const text = head + '\n'.repeat(500_000) + tail;
    const bounded = featureText(text);
    expect(bounded.length).toBe(FEATURE_TEXT_LIMIT);
    expect(featureText(bounded)).toBe(bounded);
    expect(bounded.startsWith(text.slice(0, FEATURE_TEXT_LIMIT / 2))).toBe(true);
    expect(bounded.endsWith(text.slice(-(FEATURE_TEXT_LIMIT / 2 - 1)))).toBe(true);
    expect(featureText('short')).toBe('short');

    const full = structuralFeatures([{ role: 'user', content: text }]);
    const read = structuralFeatures([{ role: 'user', content: bounded }]);
    // Everything but the size estimate is the bounded text's; the size is the whole prompt's.
    expect({ ...full, approxTokens: 0 }).toEqual({ ...read, approxTokens: 0 });
    expect(full.approxTokens).toBe(Math.ceil(text.length / 4));
    expect(full.instructions).toBeGreaterThan(0);
    expect(full.formatChoice).toBe(1);
    expect(hashedLexicalFeatures(text)).toEqual(hashedLexicalFeatures(bounded));
  });

  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.terminate();
    worker = undefined;
  });

  /**
   * A megabyte of each adversarial shape, through promptFeatures and structuralFeatures, in a
   * worker thread: with the old regexes the first one alone would run for hours, and a test
   * blocked in a synchronous regex could not even time out. Nothing is timed: the test passes
   * when every input finishes, and fails on the test timeout otherwise.
   */
  it('finishes a megabyte of each adversarial shape', async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      const f = require(${JSON.stringify(path.resolve(__dirname, '../../src/request/router/features.ts'))});
      const M = 1 << 20;
      const fill = (unit) => unit.repeat(Math.ceil(M / unit.length)).slice(0, M);
      const shapes = {
        newlines: fill('\\n'),
        'spaces and newlines': fill(' \\n'),
        'CRLF': fill('\\r\\n'),
        'line separators and nbsp': fill('\\u2028\\u00a0'),
        'empty bullets': fill('- \\n'),
        'digit lines': fill('1.\\n'),
        'nested lists': Array.from({ length: 60000 }, (_, i) => ' '.repeat(i % 64) + '- item\\n').join('').slice(0, M),
        'huge enumeration': Array.from({ length: 90000 }, (_, i) => (i + 1) + '. explain ' + i + '\\n').join('').slice(0, M),
        'option lines': fill('A) \\n\\n'),
        'indented instructions': fill('\\n   please list\\n'),
        'punctuation': fill('-*.).'),
        'slashed digits': fill('1/'),
        'digit run then a slash': fill('9'.repeat(4095) + '/'),
        'fraction words': fill('half thirds quarter '),
      };
      const out = {};
      for (const [name, content] of Object.entries(shapes)) {
        const m = [{ role: 'user', content }];
        const p = f.promptFeatures(m);
        out[name] = { chars: content.length, structural: p.structural, buckets: p.lexical.indices.length };
      }
      parentPort.postMessage(out);
    `;
    worker = new Worker(code, { eval: true, execArgv: ['--require', 'tsx/cjs'] });
    const result = await new Promise<Record<string, { chars: number; structural: Record<string, number> }>>(
      (resolve, reject) => {
        worker!.once('message', resolve);
        worker!.once('error', reject);
      },
    );
    expect(Object.keys(result).length).toBe(14);
    for (const [name, r] of Object.entries(result)) {
      expect(r.chars, name).toBe(1 << 20);
      expect(r.structural.approxTokens, name).toBe((1 << 20) / 4);
    }
    // What the features say of them: counted in the bounded text.
    expect(result['newlines']!.structural.instructions).toBe(0);
    // Every slash is between two digits: one every 2 characters.
    expect(result['slashed digits']!.structural.fractions).toBeGreaterThan(FEATURE_TEXT_LIMIT / 2 - 5);
    expect(result['digit run then a slash']!.structural.fractions).toBeGreaterThan(
      FEATURE_TEXT_LIMIT / 4096 - 3,
    );
    expect(result['fraction words']!.structural.fractions).toBeGreaterThan((3 * FEATURE_TEXT_LIMIT) / 20 - 3);
    const bullets = result['empty bullets']!.structural.enumerations!;
    expect(bullets).toBeGreaterThan(FEATURE_TEXT_LIMIT / 3 - 3);
    expect(bullets).toBeLessThanOrEqual(FEATURE_TEXT_LIMIT / 3 + 1);
    expect(result['huge enumeration']!.structural.enumerations).toBeGreaterThan(5_000);
    expect(result['option lines']!.structural.formatChoice).toBe(1);
  }, 60_000);
});
