/**
 * bench/routing-latency: how long the pre-route decision takes, per request, on one core:
 *
 *   rules       structural features + the rules-v1 score (no calibration artefact: the cold start)
 *   classifier  the classify activity's `decide` with a calibration artefact's classifier:
 *               structural + hashed n-gram features, the logistic heads, the task-type heads
 *   decision    `classifier` + the policy's skip decision for every rung (shouldSkipRung): the
 *               whole pre-route decision a request waits for
 *
 * for prompts of about 200, 2,000 and 8,000 tokens (real prompts of ../shared/data concatenated,
 * ~4 characters a token as the features count them). Each decision is timed on its own
 * (process.hrtime.bigint); p50 / p99 / max in microseconds. The classifier is fitted once at the
 * start on a labelled set (`cascade calibrate`'s own fit, 5 task families so it has task-type
 * heads). It prints figures; it never passes or fails on time.
 *
 * Then the same three on adversarial 1 MiB prompts (issue #16): a run of newlines, blank lines
 * with spaces, nested lists, a huge enumeration, option lines, indented instructions. The
 * features once took quadratic time on blank-line runs (11 s for 40,000 newlines); they are
 * linear now and read at most FEATURE_TEXT_LIMIT characters (src/request/router/features.ts), so a
 * megabyte costs what 131,072 characters cost. The target: decision p99 under 50 ms.
 *
 *   npm run bench:routing-latency -- [--iterations N] [--adversarial-iterations N] [--json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { classifiersOf, stampVersions } from '../src/request/config-file/artefact-file';
import { readLabelledData } from '../src/tools/calibrate/labelled-data';
import { fitCascadeCalibration } from '../src/tools/calibrate/fit';
import { decide } from '../src/request/router/decide';
import { FEATURE_TEXT_LIMIT, structuralFeatures, ruleComplexity } from '../src/request/router/features';
import type { ChatMessage } from '../src/request/providers/types';
import { shouldSkipRung } from '../src/request/router/rung-decision';
import { summarize, type Summary } from './lib/stats';
import { fmt, formatTable } from './lib/table';

const USAGE = `usage: npm run bench:routing-latency -- [options]

  --iterations N   timed decisions per prompt size (default 2000; 8,000-token prompts get N/4)
  --adversarial-iterations N
                   timed decisions per adversarial 1 MiB prompt shape (default 200)
  --json           one JSON document on stdout
  -h, --help`;

const SIZES = [200, 2_000, 8_000];
const LADDER = ['llama3.1-8b', 'llama3.1-70b', 'llama3.1-405b'];
/** Fitted on the two sets with one confidence kind (answer logprobs): two task families. */
const FILES = ['mmlu', 'medmcqa'].map((t) => `cascades/${t}_llama_train.jsonl`);
/** Prompt text of every task, short and long (GSM8K's and TriviaQA's are longer). */
const CORPUS = ['mmlu', 'medmcqa', 'triviaqa', 'truthfulqa', 'gsm8k'].map(
  (t) => `cascades/${t}_llama_train.jsonl`,
);

interface Cell {
  what: 'rules' | 'classifier' | 'decision';
  tokens: number;
  chars: number;
  us: Summary;
}

interface AdversarialCell {
  what: Cell['what'];
  shape: string;
  chars: number;
  ms: Summary;
}

const MIB = 1 << 20;
const fill = (unit: string) => unit.repeat(Math.ceil(MIB / unit.length)).slice(0, MIB);
/** 1 MiB prompts shaped to make line-anchored regexes backtrack (issue #16). */
const ADVERSARIAL: Record<string, () => string> = {
  newlines: () => fill('\n'),
  'blank lines with spaces': () => fill(' \n'),
  'nested lists': () =>
    Array.from({ length: 70_000 }, (_, i) => `${' '.repeat(i % 64)}- item ${i}\n`)
      .join('')
      .slice(0, MIB),
  'huge enumeration': () =>
    Array.from({ length: 90_000 }, (_, i) => `${i + 1}. explain option ${i}\n`)
      .join('')
      .slice(0, MIB),
  'empty bullets': () => fill('- \n'),
  'option lines': () => fill('A) \n\n'),
  'indented instructions': () => fill('\n   please list\n'),
};

function main(): number {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: '2000' },
      'adversarial-iterations': { type: 'string', default: '200' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const iterations = Number(values.iterations);
  const dataDir = path.resolve(
    process.env.CASCADE_SHARED_DATA ?? path.resolve(__dirname, '../../shared/data'),
  );
  const files = FILES.map((f) => path.join(dataDir, f));
  if (![...FILES, ...CORPUS].every((f) => fs.existsSync(path.join(dataDir, f)))) {
    process.stderr.write(`bench/routing-latency needs ${CORPUS.join(', ')} under ${dataDir}\n`);
    return 2;
  }

  // A classifier fitted as `cascade calibrate` fits it (heads for two rungs, task-type heads).
  const t0 = Date.now();
  const data = readLabelledData(files, LADDER, {});
  const fit = fitCascadeCalibration(data.rows, {
    ladder: LADDER,
    target: 0.97,
    confidence: 0.95,
    resamples: 200,
  });
  const artefact = stampVersions(fit.artefact);
  // The worker's lookup, as the classify activity is handed it.
  const classifiers = classifiersOf(artefact);
  const classifier = { version: artefact.classifier!.version, calibrationVersion: artefact.version };
  const fitMs = Date.now() - t0;
  // Skip rules on every rung but the last, so the policy step does its full work.
  const skips = artefact.rungs.map((_, i) =>
    i < LADDER.length - 1 ? { kind: 'below' as const, predicted: 0.3 } : null,
  );

  // Prompts of the target sizes from real prompt text.
  const corpus = CORPUS.flatMap((f) =>
    fs
      .readFileSync(path.join(dataDir, f), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { prompt: string }).prompt),
  );
  const promptOf = (tokens: number, offset: number): ChatMessage[] => {
    const parts: string[] = [];
    let chars = 0;
    for (let i = offset; chars < tokens * 4; i++) {
      const p = corpus[i % corpus.length]!;
      parts.push(p);
      chars += p.length + 2;
    }
    const text = parts.join('\n\n').slice(0, tokens * 4);
    return [
      { role: 'system', content: 'Answer the question.' },
      { role: 'user', content: text },
    ];
  };

  const cells: Cell[] = [];
  for (const tokens of SIZES) {
    const n = tokens >= 8_000 ? Math.max(50, Math.floor(iterations / 4)) : iterations;
    // A handful of distinct prompts of this size, cycled, so caches do not make it look free.
    const prompts = Array.from({ length: 16 }, (_, k) => promptOf(tokens, k * 37));
    const chars = prompts[0]!.reduce((s, m) => s + m.content.length, 0);
    const ops: Record<Cell['what'], (m: ChatMessage[]) => unknown> = {
      rules: (m) => ruleComplexity(structuralFeatures(m)),
      classifier: (m) => decide({ task: 'qa', messages: m, classifier }, classifiers),
      decision: (m) => {
        const d = decide({ task: 'qa', messages: m, classifier }, classifiers);
        return skips.map((s, i) => shouldSkipRung(s, d.predicted?.[i], i, skips.length));
      },
    };
    for (const what of ['rules', 'classifier', 'decision'] as const) {
      const op = ops[what];
      for (let i = 0; i < Math.min(200, n); i++) op(prompts[i % prompts.length]!); // warm-up
      const us: number[] = [];
      for (let i = 0; i < n; i++) {
        const m = prompts[i % prompts.length]!;
        const s = process.hrtime.bigint();
        op(m);
        us.push(Number(process.hrtime.bigint() - s) / 1000);
      }
      cells.push({ what, tokens, chars, us: summarize(us) });
    }
  }

  // Adversarial 1 MiB prompts: each shape timed on its own (the same prompt every time).
  const adversarialIterations = Number(values['adversarial-iterations']);
  const adversarial: AdversarialCell[] = [];
  for (const [shape, make] of Object.entries(ADVERSARIAL)) {
    const m: ChatMessage[] = [
      { role: 'system', content: 'Answer the question.' },
      { role: 'user', content: make() },
    ];
    const chars = m.reduce((s, x) => s + x.content.length, 0);
    const ops: Record<Cell['what'], (m: ChatMessage[]) => unknown> = {
      rules: (x) => ruleComplexity(structuralFeatures(x)),
      classifier: (x) => decide({ task: 'qa', messages: x, classifier }, classifiers),
      decision: (x) => {
        const d = decide({ task: 'qa', messages: x, classifier }, classifiers);
        return skips.map((s, i) => shouldSkipRung(s, d.predicted?.[i], i, skips.length));
      },
    };
    for (const what of ['rules', 'classifier', 'decision'] as const) {
      const op = ops[what];
      for (let i = 0; i < 5; i++) op(m); // warm-up
      const ms: number[] = [];
      for (let i = 0; i < adversarialIterations; i++) {
        const s = process.hrtime.bigint();
        op(m);
        ms.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      adversarial.push({ what, shape, chars, ms: summarize(ms) });
    }
  }

  const meta = {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverage: os.loadavg()[0],
    classifier: {
      version: artefact.classifier!.version,
      trainedOn: data.files.map((f) => `${f.name} ${f.rows}`),
      buckets: 1 << artefact.classifier!.hashing.bits,
      structural: artefact.classifier!.structural.names.length,
      heads: Object.keys(artefact.classifier!.heads).length,
      taskTypes: artefact.classifier!.taskType?.labels.length ?? 0,
      fitMs,
    },
  };
  if (values.json) {
    process.stdout.write(
      JSON.stringify({ ...meta, cells, featureTextLimit: FEATURE_TEXT_LIMIT, adversarial }) + '\n',
    );
    return 0;
  }
  const out = [
    `bench/routing-latency ${new Date().toISOString()}; node ${meta.node}, ${meta.cores} cores (${meta.cpu}), load ${fmt(meta.loadAverage, 2)}`,
    `classifier ${meta.classifier.version}: ${meta.classifier.heads} rung heads + ${meta.classifier.taskTypes} task-type heads over ${meta.classifier.buckets} hashed buckets + ${meta.classifier.structural} structural features, fitted in ${meta.classifier.fitMs} ms on ${meta.classifier.trainedOn.join(', ')}`,
    '',
    formatTable(
      ['what', 'tokens', 'chars', 'n', 'p50 µs', 'p99 µs', 'max µs', 'mean µs'],
      cells.map((c) => [
        c.what,
        String(c.tokens),
        String(c.chars),
        String(c.us.n),
        fmt(c.us.p50, 1),
        fmt(c.us.p99, 1),
        fmt(c.us.max, 1),
        fmt(c.us.mean, 1),
      ]),
    ),
    '',
    `adversarial 1 MiB prompts (the features read ${FEATURE_TEXT_LIMIT} characters of each); milliseconds`,
    '',
    formatTable(
      ['what', 'shape', 'chars', 'n', 'p50 ms', 'p99 ms', 'max ms', 'mean ms'],
      adversarial.map((c) => [
        c.what,
        c.shape,
        String(c.chars),
        String(c.ms.n),
        fmt(c.ms.p50, 2),
        fmt(c.ms.p99, 2),
        fmt(c.ms.max, 2),
        fmt(c.ms.mean, 2),
      ]),
    ),
    '',
    `decision p99 on adversarial 1 MiB prompts: ${fmt(Math.max(...adversarial.filter((c) => c.what === 'decision').map((c) => c.ms.p99)), 2)} ms at most (target: under 50 ms)`,
  ];
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

process.exitCode = main();
