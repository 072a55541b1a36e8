/**
 * Synthetic recorded outcomes: rows in the shape of ../shared/data (id, source, task, split,
 * system, prompt, reference, models: { <model>: { answer, correct, raw_confidence,
 * confidence_kind, cost_usd, latency_ms, tokens } }) that the project makes itself, from a seed,
 * so tests and demos can exercise every code path without the unlicensed sets. They are NOT
 * outputs of real models: queries come from templates and small fact tables (./items.ts,
 * ./facts.ts), and each model's outcome is drawn from a simple model of how cascades behave:
 *
 * - correctness: an item response model. Model m answers item i right with probability
 *   g + (1 - g) * sigmoid(1.6 * z), z = ability_m - difficulty_i + 0.6 * noise_im (g = 1/4 for
 *   four options, 0 otherwise). The shared difficulty makes models agree on easy items and fail
 *   together on hard ones; `ability_m` is solved so the expected accuracy is the set's target for
 *   that model (bigger models higher, and dearer).
 * - confidence: a logit L = alpha + beta * z + gamma * (right ? 1 : -1) + sigma * noise, served
 *   as an answer-token log-probability, log(1/4 + 3/4 * sigmoid(L)), or as a self-check's
 *   log P(yes), log(sigmoid(L)): informative (it moves with z and with correctness), noisy, and
 *   miscalibrated per model as real ones are (some round P near 1 to exactly 0, some put no mass
 *   on "yes" at all: -Infinity).
 * - cost, tokens, latency: tokens from the text (~4 characters a token), cost at the model's list
 *   price (a self-check row's cost holds both calls, as in ../shared/data/cascades), latency a
 *   per-model base with log-normal noise plus time per output token.
 *
 * Pure: `generateFiles(seed)` returns every file's exact text; `writeSyntheticData(dir)` writes
 * them (`npm run data:synthetic`). The same seed gives the same bytes on every machine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gsm8kItem, type Item, medmcqaItem, mmluItem, triviaItem, truthfulItem } from './items';
import {
  approxTokens,
  callFigures,
  LADDERS,
  logSigmoid,
  MODELS,
  type ModelOutcome,
  selfCheckCostUsd,
  sig8,
  sigmoid,
  SYNTHETIC_SOURCE,
  type SyntheticRow,
} from './models';
import { Rng, streamSeed } from './rng';
import { jsonReplyRows, toolCallRows } from './structured';

export { LADDERS, MODELS, type ModelOutcome, SYNTHETIC_SOURCE, type SyntheticRow } from './models';

export const SYNTHETIC_SEED = 20260115;

/** How one model does on one set: its target accuracy and the shape of its confidence. */
interface OutcomeParams {
  accuracy: number;
  /** Confidence logit: alpha + beta * z + gamma * (right ? 1 : -1) + sigma * noise. */
  conf: [alpha: number, beta: number, gamma: number, sigma: number];
  /** P at or above which the recorded log-probability is exactly 0 (an API's rounding). */
  zeroAbove?: number;
  /** Share of wrong answers whose self-check put no mass on "yes": log P(yes) = -Infinity. */
  negInfWrong?: number;
  /** Share of multiple-choice answers that are not a letter (a first word instead). */
  malformed?: number;
}

export type ConfidenceKind = 'answer_logprob' | 'self_check_log_p_yes';

export interface SetSpec {
  file: string;
  task: 'mmlu' | 'medmcqa' | 'triviaqa' | 'truthfulqa' | 'gsm8k';
  ladder: keyof typeof LADDERS;
  kind: ConfidenceKind;
  rows: number;
  models: Record<string, OutcomeParams>;
  /** Repeat the query of row `from` at row `to` (the recorded MMLU set repeats one question). */
  duplicate?: { from: number; to: number };
}

const ITEMS: Record<SetSpec['task'], (rng: Rng) => Item> = {
  mmlu: mmluItem,
  medmcqa: medmcqaItem,
  triviaqa: triviaItem,
  truthfulqa: truthfulItem,
  gsm8k: gsm8kItem,
};

/** The sets: the five task families, each on both ladders, on the same queries. */
export const SETS: SetSpec[] = [
  {
    file: 'mmlu_llama.jsonl',
    task: 'mmlu',
    ladder: 'llama',
    kind: 'answer_logprob',
    rows: 300,
    duplicate: { from: 40, to: 157 },
    models: {
      'llama3.2-1b': { accuracy: 0.41, conf: [-0.5, 0.35, 0.35, 1.1], malformed: 0.004 },
      'llama3.2-3b': { accuracy: 0.58, conf: [0.3, 0.9, 0.6, 2.0], malformed: 0.012 },
      'llama3.1-8b': { accuracy: 0.63, conf: [0.1, 1.0, 0.8, 1.9] },
      'llama3.1-70b': { accuracy: 0.79, conf: [2.6, 1.0, 1.0, 2.4] },
      'llama3.1-405b': { accuracy: 0.82, conf: [4.5, 1.0, 1.1, 2.6], malformed: 0.008 },
    },
  },
  {
    file: 'mmlu_qwen.jsonl',
    task: 'mmlu',
    ladder: 'qwen',
    kind: 'answer_logprob',
    rows: 300,
    duplicate: { from: 40, to: 157 },
    models: {
      'gpt-4o-mini': { accuracy: 0.73, conf: [8.0, 1.2, 1.3, 4.0], zeroAbove: 0.99995 },
      'qwen2.5-32b-coder-instruct': { accuracy: 0.82, conf: [7.0, 1.0, 1.3, 3.5] },
      'qwen2.5-72b-instruct': { accuracy: 0.88, conf: [9.0, 1.0, 1.2, 3.5] },
      'gpt-4o': { accuracy: 0.8, conf: [8.0, 1.2, 1.8, 4.0], zeroAbove: 0.99999 },
    },
  },
  {
    file: 'medmcqa_llama.jsonl',
    task: 'medmcqa',
    ladder: 'llama',
    kind: 'answer_logprob',
    rows: 300,
    models: {
      'llama3.2-1b': { accuracy: 0.42, conf: [0.3, 0.15, 0.15, 0.5] },
      'llama3.2-3b': { accuracy: 0.66, conf: [1.0, 0.8, 0.8, 1.3], malformed: 0.004 },
      'llama3.1-8b': { accuracy: 0.69, conf: [2.5, 1.0, 1.0, 1.5] },
      'llama3.1-70b': { accuracy: 0.9, conf: [3.5, 1.0, 1.1, 2.0] },
      'llama3.1-405b': { accuracy: 0.91, conf: [3.6, 0.4, 0.6, 1.2] },
    },
  },
  {
    file: 'medmcqa_qwen.jsonl',
    task: 'medmcqa',
    ladder: 'qwen',
    kind: 'answer_logprob',
    rows: 300,
    models: {
      'gpt-4o-mini': { accuracy: 0.73, conf: [7.0, 1.2, 1.4, 4.0], zeroAbove: 0.99995 },
      'qwen2.5-32b-coder-instruct': { accuracy: 0.64, conf: [6.0, 0.9, 1.2, 3.5] },
      'qwen2.5-72b-instruct': { accuracy: 0.8, conf: [8.0, 1.0, 1.3, 3.5] },
      'gpt-4o': { accuracy: 0.86, conf: [8.5, 1.2, 1.8, 4.0], zeroAbove: 0.99999 },
    },
  },
  {
    file: 'triviaqa_llama.jsonl',
    task: 'triviaqa',
    ladder: 'llama',
    kind: 'self_check_log_p_yes',
    rows: 300,
    models: {
      'llama3.2-1b': { accuracy: 0.33, conf: [-2.3, 0, 0, 0.45] },
      'llama3.2-3b': { accuracy: 0.62, conf: [1.5, 1.2, 1.2, 3.5] },
      'llama3.1-8b': { accuracy: 0.8, conf: [4.0, 1.2, 1.3, 3.5] },
      'llama3.1-70b': { accuracy: 0.94, conf: [6.0, 1.2, 1.5, 3.5] },
      'llama3.1-405b': { accuracy: 0.97, conf: [9.0, 1.2, 1.5, 3.5] },
    },
  },
  {
    file: 'triviaqa_qwen.jsonl',
    task: 'triviaqa',
    ladder: 'qwen',
    kind: 'self_check_log_p_yes',
    rows: 300,
    models: {
      'gpt-4o-mini': {
        accuracy: 0.91,
        conf: [9.0, 1.0, 3.0, 3.5],
        zeroAbove: 0.99999,
        negInfWrong: 0.4,
      },
      'qwen2.5-32b-coder-instruct': { accuracy: 0.7, conf: [2.0, 1.2, 1.2, 3.5] },
      'qwen2.5-72b-instruct': { accuracy: 0.87, conf: [5.5, 1.2, 1.6, 3.0], negInfWrong: 0.06 },
      'gpt-4o': { accuracy: 0.95, conf: [8.0, 1.2, 2.2, 3.0] },
    },
  },
  {
    file: 'truthfulqa_llama.jsonl',
    task: 'truthfulqa',
    ladder: 'llama',
    kind: 'self_check_log_p_yes',
    rows: 300,
    models: {
      'llama3.2-1b': { accuracy: 0.38, conf: [-1.45, 0.05, 0.05, 0.35] },
      'llama3.2-3b': { accuracy: 0.4, conf: [-1.0, 0.5, 0.4, 1.8] },
      'llama3.1-8b': { accuracy: 0.52, conf: [0.4, 0.4, 0.35, 1.9] },
      'llama3.1-70b': { accuracy: 0.62, conf: [3.0, 0.7, 0.7, 3.0] },
      'llama3.1-405b': { accuracy: 0.72, conf: [7.0, 0.7, 0.9, 3.0] },
    },
  },
  {
    file: 'truthfulqa_qwen.jsonl',
    task: 'truthfulqa',
    ladder: 'qwen',
    kind: 'self_check_log_p_yes',
    rows: 300,
    models: {
      'gpt-4o-mini': { accuracy: 0.63, conf: [6.0, 0.7, 1.2, 3.0], zeroAbove: 0.99999, negInfWrong: 0.05 },
      'qwen2.5-32b-coder-instruct': { accuracy: 0.6, conf: [2.5, 0.7, 0.8, 2.2] },
      'qwen2.5-72b-instruct': { accuracy: 0.62, conf: [5.0, 0.7, 1.0, 2.6], negInfWrong: 0.03 },
      'gpt-4o': { accuracy: 0.76, conf: [8.0, 0.8, 1.4, 2.6] },
    },
  },
  {
    file: 'gsm8k_llama.jsonl',
    task: 'gsm8k',
    ladder: 'llama',
    kind: 'self_check_log_p_yes',
    rows: 300,
    models: {
      'llama3.2-1b': { accuracy: 0.59, conf: [-0.5, 0.3, 0.4, 1.2] },
      'llama3.2-3b': { accuracy: 0.88, conf: [-0.2, 0.4, 0.5, 1.8] },
      'llama3.1-8b': { accuracy: 0.89, conf: [3.0, 0.9, 1.4, 2.0] },
      'llama3.1-70b': { accuracy: 0.97, conf: [6.0, 1.0, 1.8, 2.0] },
      'llama3.1-405b': { accuracy: 0.97, conf: [8.0, 1.0, 2.0, 2.2] },
    },
  },
  {
    file: 'gsm8k_qwen.jsonl',
    task: 'gsm8k',
    ladder: 'qwen',
    kind: 'self_check_log_p_yes',
    rows: 300,
    models: {
      'gpt-4o-mini': { accuracy: 0.9, conf: [8.0, 1.0, 2.5, 3.0], zeroAbove: 0.99999 },
      'qwen2.5-32b-coder-instruct': { accuracy: 0.95, conf: [6.0, 1.0, 1.5, 2.0] },
      'qwen2.5-72b-instruct': { accuracy: 0.95, conf: [9.0, 1.0, 2.0, 2.5], zeroAbove: 0.99999 },
      'gpt-4o': { accuracy: 0.96, conf: [8.5, 1.0, 2.2, 2.2] },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Drawing outcomes

const DISCRIMINATION = 1.6;
const ITEM_NOISE = 0.6;
const MALFORMED = ['I', 'The', 'Based'];

function pRight(z: number, guess: number): number {
  return guess + (1 - guess) * sigmoid(DISCRIMINATION * z);
}

/** The ability at which the mean P(right) over these items is `target` (bisection; no randomness). */
function solveAbility(target: number, offsets: number[], guess: number): number {
  let lo = -12;
  let hi = 12;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    const acc = offsets.reduce((s, o) => s + pRight(mid + o, guess), 0) / offsets.length;
    if (acc < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Distinct queries of a task family (no two with the same system + prompt). */
export function generateItems(task: SetSpec['task'], n: number, seed: number): Item[] {
  const rng = new Rng(streamSeed(seed, `items:${task}`));
  const make = ITEMS[task];
  const seen = new Set<string>();
  const items: Item[] = [];
  for (let tries = 0; items.length < n; tries++) {
    if (tries > n * 50)
      throw new Error(`${task}: only ${items.length} distinct queries after ${tries} draws`);
    const item = make(rng);
    const key = `${item.system}\u0000${item.prompt}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(item);
  }
  return items;
}

function outcomes(spec: SetSpec, model: string, items: Item[], seed: number): ModelOutcome[] {
  const p = spec.models[model]!;
  const m = MODELS[model]!;
  const rng = new Rng(streamSeed(seed, `outcomes:${spec.file}:${model}`));
  const guess = spec.kind === 'answer_logprob' ? 0.25 : 0;
  const offsets = items.map((it) => -it.difficulty + ITEM_NOISE * rng.gauss());
  const ability = solveAbility(p.accuracy, offsets, guess);
  const [alpha, beta, gamma, sigma] = p.conf;
  return items.map((item, i) => {
    const z = ability + offsets[i]!;
    let correct = rng.chance(pRight(z, guess));
    let answer = correct ? item.right(m.style, rng) : item.wrong(m.style, rng);
    if (spec.kind === 'answer_logprob' && p.malformed && rng.chance(p.malformed)) {
      answer = rng.pick(MALFORMED);
      correct = false;
    }
    const logit = alpha + beta * z + gamma * (correct ? 1 : -1) + sigma * rng.gauss();
    let raw = spec.kind === 'answer_logprob' ? Math.log1p(-0.75 * sigmoid(-logit)) : logSigmoid(logit);
    if (p.zeroAbove !== undefined && Math.exp(raw) >= p.zeroAbove) raw = 0;
    if (!correct && p.negInfWrong && rng.chance(p.negInfWrong) && spec.kind !== 'answer_logprob')
      raw = -Infinity;
    const tokensIn = approxTokens(item.system + item.prompt) + m.templateTokens;
    const tokensOut = approxTokens(answer) + m.extraOut;
    const call = callFigures(model, tokensIn, tokensOut, rng);
    let cost = call.costUsd;
    // The recorded cost holds the answer and its yes/no check (the prompt, the answer, the question).
    if (spec.kind === 'self_check_log_p_yes') cost += selfCheckCostUsd(model, tokensIn, answer);
    return {
      answer,
      correct,
      raw_confidence: sig8(raw),
      confidence_kind: spec.kind,
      cost_usd: cost,
      latency_ms: call.latencyMs,
      tokens: { in: tokensIn, out: tokensOut },
    };
  });
}

export function generateSet(spec: SetSpec, seed: number = SYNTHETIC_SEED): SyntheticRow[] {
  const items = generateItems(spec.task, spec.rows, seed);
  if (spec.duplicate) items[spec.duplicate.to] = items[spec.duplicate.from]!;
  const models = LADDERS[spec.ladder].filter((m) => spec.models[m]);
  const byModel = Object.fromEntries(models.map((m) => [m, outcomes(spec, m, items, seed)]));
  if (spec.duplicate) {
    // The same model answers the same query the same way (temperature 0); only the timing differs.
    const { from, to } = spec.duplicate;
    for (const m of models) {
      const list = byModel[m]!;
      list[to] = { ...list[from]!, latency_ms: list[to]!.latency_ms };
    }
  }
  const stem = spec.file.replace(/\.jsonl$/, '').replace(/_/g, '-');
  return items.map((item, i) => ({
    id: `syn-${stem}-${i}`,
    source: SYNTHETIC_SOURCE,
    task: spec.task,
    split: 'train',
    system: item.system,
    prompt: item.prompt,
    reference: item.reference,
    models: Object.fromEntries(models.map((m) => [m, byModel[m]![i]!])),
  }));
}

// ---------------------------------------------------------------------------------------------
// Files

/**
 * One row as a JSONL line in the style of ../shared/data (Python's json.dumps: ", " and ": "
 * separators, a bare -Infinity for a log-probability of 0).
 */
export function serializeRow(row: unknown): string {
  return toJson(row);
}

function toJson(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (v === -Infinity) return '-Infinity';
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v}`);
    return JSON.stringify(v);
  }
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toJson).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${toJson(x)}`).join(', ')}}`;
  }
  throw new Error(`cannot write a ${typeof v}`);
}

function jsonl(rows: unknown[]): string {
  return rows.map(serializeRow).join('\n') + '\n';
}

export const JSON_REPLIES_FILE = 'json_replies.jsonl';
/** In a subfolder: the recorded-model server does not serve tool calls yet, and a folder is read without its subfolders. */
export const TOOL_CALLS_FILE = 'tools/tool_calls.jsonl';

/** Every file of data/synthetic, by path relative to it, with its exact text. */
export function generateFiles(seed: number = SYNTHETIC_SEED): Map<string, string> {
  const files = new Map<string, string>();
  const sets = SETS.map((spec) => ({ spec, rows: generateSet(spec, seed) }));
  for (const { spec, rows } of sets) files.set(spec.file, jsonl(rows));
  const json = jsonReplyRows(new Rng(streamSeed(seed, 'json-replies')));
  const tools = toolCallRows(new Rng(streamSeed(seed, 'tool-calls')));
  files.set(JSON_REPLIES_FILE, jsonl(json));
  files.set(TOOL_CALLS_FILE, jsonl(tools));
  files.set('README.md', readme(seed, sets, json, tools));
  return files;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function accuracyLine(rows: SyntheticRow[], models: readonly string[]): string {
  return models
    .filter((m) => rows[0]?.models[m])
    .map((m) => `${m} ${pct(rows.filter((r) => r.models[m]!.correct).length / rows.length)}`)
    .join(', ');
}

function readme(
  seed: number,
  sets: { spec: SetSpec; rows: SyntheticRow[] }[],
  json: SyntheticRow[],
  tools: SyntheticRow[],
): string {
  const table = sets
    .map(
      ({ spec, rows }) =>
        `| ${spec.file} | ${spec.task} | ${rows.length} | \`${spec.kind}\` | ${accuracyLine(rows, LADDERS[spec.ladder])} |`,
    )
    .join('\n');
  const models = (rows: SyntheticRow[]) => Object.keys(rows[0]?.models ?? {}).join(', ');
  return `# Synthetic recorded outcomes

**Generated data, not outputs of real models.** Every query, answer, confidence, cost and latency
here was made by \`src/tools/synthetic-data/generate.ts\` from seed ${seed}, with the project's seeded PRNG
(\`src/request/router/random.ts\`). The files are in the row shape of \`../shared/data\` (its README), so the
recorded-model server, \`cascade calibrate\`, \`cascade profile\` and \`cascade advise\` read them as
they read recorded sets, and the tests exercise every code path without the unlicensed sets of
\`../shared/data\` (cascades/, frugalgpt/, routerbench/), which must not be copied into the project.
Use them to test code, never to measure a router: their statistics are whatever the generator's
parameters say. Real recorded outcomes that may be shipped are in \`data/routellm\` and
\`data/llmdrift\` (Apache-2.0, see their NOTICE files).

Regenerate (the files must stay byte-identical to the generator's output;
\`test/unit/synthetic-data.test.ts\` checks it):

\`\`\`sh
npm run data:synthetic
\`\`\`

## How the outcomes are drawn

- Queries come from templates and small fact tables written for the project
  (\`src/tools/synthetic-data/items.ts\`, \`src/tools/synthetic-data/facts.ts\`), in the shape of each task's recorded
  prompts (a system message, a templated user prompt). Each has a latent difficulty that moves with
  what a prompt-only classifier can see: the subject named in the prompt, the question's form (two
  statements to judge, a probability, a system of equations), the size of its numbers, the number
  of steps of a word problem, the obscurity of a fact.
- Correctness: model m answers query i right with probability g + (1 - g) * sigmoid(1.6 * z),
  z = ability - difficulty + 0.6 * noise (g = 1/4 with four options), with each model's ability set
  so its expected accuracy is the set's target. Models agree on easy queries and fail together on
  hard ones; a wrong multiple-choice answer is drawn to the most tempting option.
- Confidence: a logit alpha + beta * z + gamma * (right ? 1 : -1) + sigma * noise per model, served
  as \`answer_logprob\` (log-probability of the answer letter, log(1/4 + 3/4 * sigmoid(logit))) or
  \`self_check_log_p_yes\` (log P("Yes") of the model's check of its own answer, log sigmoid(logit)):
  informative but noisy, and miscalibrated as real ones are. Some models round P near 1 to exactly 0;
  some wrong self-checks are \`-Infinity\` (written bare, as Python's json module writes it).
- Tokens are ~4 characters each plus a chat-template overhead; \`cost_usd\` is the tokens at the
  model's list price (cascade.config.yaml; qwen2.5-32b-coder-instruct at $0.80 per million). A
  \`self_check_log_p_yes\` row's cost holds both calls, the answer and its yes/no check, as in the
  recorded cascades sets. \`latency_ms\` is a per-model base with log-normal noise plus time per
  output token.
- Small models now and then answer a multiple-choice question with a word instead of a letter
  ("I"), the MMLU sets repeat one query (rows 40 and 157, answered alike), and a math answer may
  lack its \`#### x\` line: the edge cases of real recordings.

## Sets

Multiple choice (\`answer_logprob\`) and free-form (\`self_check_log_p_yes\`) sets, each family on
both ladders of the config on the same queries. Accuracy is the share of \`correct\` rows.

| file | task | rows | confidence | accuracy |
| --- | --- | --- | --- | --- |
${table}

Row: \`{ id, source: "${SYNTHETIC_SOURCE}", task, split: "train", system, prompt, reference,
models: { <model>: { answer, correct, raw_confidence, confidence_kind, cost_usd, latency_ms,
tokens: { in, out } } } }\`. \`reference\` is the right answer (a letter, a short answer, the final
number).

## Structured replies

\`${JSON_REPLIES_FILE}\` (${json.length} rows, task \`extract\`; ${models(json)}): JSON replies
(\`response_format\`). Each row has \`responseSchema\`, the JSON Schema the reply must meet (a
request's \`responseSchema\` field, so a row is a request as it is), and \`reference\`, the right
reply as a JSON string. A model's \`answer\` is the reply as a JSON **string**: right, a wrong
value, or the failures small models make (the JSON in a Markdown fence or followed by prose, a
number as a string, a missing field). \`correct\` is true when the answer parses to exactly the
reference. Confidence: \`self_check_log_p_yes\`.

\`${TOOL_CALLS_FILE}\` (${tools.length} rows, task \`tools\`; ${models(tools)}): tool-call replies,
for tool-calling work (the recorded-model server does not serve them yet, so they are kept out of
the folder's top level, which \`--data data/synthetic\` reads). Each row has \`tools\`, the tools
offered as OpenAI function definitions (\`{ type: "function", function: { name, description,
parameters } }\`), and \`reference\`, the right reply. A model's \`answer\` is either a
**tool-call object** in the shape of an OpenAI assistant message,
\`{ "tool_calls": [{ "id": "call_...", "type": "function", "function": { "name": "...",
"arguments": "<JSON text>" } }] }\`, or a string when the model answered in text (right when no
tool was needed). Failures: the wrong tool, a wrong or missing argument, arguments that are not
valid JSON, text where a call was needed. No confidence is recorded.

## License

Generated by the project; the same license as the project (Apache-2.0).
`;
}

/** Writes every generated file under `dir` (the project's data/synthetic); returns their paths. */
export function writeSyntheticData(dir: string, seed: number = SYNTHETIC_SEED): string[] {
  const written: string[] = [];
  for (const [name, text] of generateFiles(seed)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    written.push(file);
  }
  return written;
}

// `npm run data:synthetic` (run from the project root).
if (require.main === module) {
  for (const file of writeSyntheticData(path.resolve('data', 'synthetic'))) {
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
