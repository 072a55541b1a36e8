/**
 * The requests `npm start` runs through the cascade. With ../shared/data present it takes real
 * rows of the cascades sets (read where they lie, never copied into the project). Without it,
 * RouteLLM's GSM8K rows shipped in data/demo/ (Apache-2.0): the half the shipped calibration
 * artefact was NOT fitted on (data/demo/NOTICE), so its classifier decides on rows it never saw.
 * Every request keeps its recorded row, whose labels grade the served answer (src/tools/demo/verdict.ts).
 */
import fs from 'node:fs';
import path from 'node:path';

/** One recorded row of a data set: `{ id, prompt, models: { <name>: { answer, correct, ... } } }`. */
export type DemoRow = Record<string, unknown>;

export interface DemoSet {
  /** The recorded-model server serves these files. */
  dataFiles: string[];
  requests: Record<string, unknown>[];
  /** Each request's task and recorded row, by request id. */
  rows: Map<string, { task: string; row: DemoRow }>;
  /** What the demo runs, in a sentence each (printed before it runs). */
  notes: string[];
  /** What this data can show and what it cannot, in one line (printed under the verdicts). */
  scope: string;
  source: 'shared-data' | 'shipped';
}

/**
 * Which cascades sets the demo uses, under which task of cascade.config.yaml: every route
 * (cascade with logprob and self-check confidence, direct-small, latency-budget, static) and
 * a shadow policy. `offset` takes other rows of a set already used by another task.
 */
const SHARED_SETS: { file: string; task: string; rows: number; offset?: number }[] = [
  { file: 'cascades/mmlu_llama_train.jsonl', task: 'mmlu', rows: 10 },
  { file: 'cascades/mmlu_llama_train.jsonl', task: 'mmlu-shadow', rows: 6, offset: 1 },
  { file: 'cascades/medmcqa_llama_train.jsonl', task: 'medmcqa', rows: 10 },
  { file: 'cascades/triviaqa_llama_train.jsonl', task: 'triviaqa', rows: 8 },
  { file: 'cascades/triviaqa_llama_train.jsonl', task: 'triviaqa-interactive', rows: 8, offset: 1 },
  { file: 'cascades/truthfulqa_llama_train.jsonl', task: 'truthfulqa', rows: 6 },
  { file: 'cascades/gsm8k_qwen_train.jsonl', task: 'gsm8k', rows: 8 },
];

/** data/demo/, from src/tools/demo (tsx, vitest) or dist/src/tools/demo (the built CLI). */
const DEMO_DIRS = [
  path.resolve(__dirname, '../../../../data/demo'),
  path.resolve(__dirname, '../../../data/demo'),
];
const DEMO_DIR = DEMO_DIRS.find((d) => fs.existsSync(d)) ?? DEMO_DIRS[1]!;

/**
 * The shipped set: RouteLLM GSM8K rows the calibration of task `routellm-gsm8k` did not see
 * (even lines of data/routellm/gsm8k.jsonl; it was fitted on the odd ones, data/demo/NOTICE).
 */
export const SHIPPED_HELDOUT = path.join(DEMO_DIR, 'routellm-gsm8k-heldout.jsonl');
export const SHIPPED_TRAIN = path.join(DEMO_DIR, 'routellm-gsm8k-train.jsonl');
export const SHIPPED_TASK = 'routellm-gsm8k';

function readJsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every k-th row from `offset`, so the sample spreads over the set instead of taking its first lines. */
function spread<T>(rows: T[], n: number, offset = 0): T[] {
  const step = Math.max(1, Math.floor(rows.length / n));
  return rows.filter((_, i) => i % step === offset % step).slice(0, n);
}

export function demoSet(opts: { sharedDataDir: string; runId: string }): DemoSet {
  const present = SHARED_SETS.filter((s) => fs.existsSync(path.join(opts.sharedDataDir, s.file)));
  const rows = new Map<string, { task: string; row: DemoRow }>();
  const request = (task: string, row: DemoRow) => {
    const id = `${opts.runId}-${task}-${String(row.id)}`;
    rows.set(id, { task, row });
    return { ...row, id, task };
  };
  if (present.length > 0) {
    const dataFiles = [...new Set(present.map((s) => path.join(opts.sharedDataDir, s.file)))];
    const requests = present.flatMap((s) =>
      spread(readJsonl(path.join(opts.sharedDataDir, s.file)), s.rows, s.offset).map((row) =>
        request(s.task, row),
      ),
    );
    const missing = SHARED_SETS.filter((s) => !present.includes(s)).map((s) => s.task);
    const tasks = [...new Set(present.map((s) => s.task))];
    return {
      dataFiles,
      requests,
      rows,
      source: 'shared-data',
      notes: [
        `${requests.length} real queries from ${dataFiles.length} sets of ${opts.sharedDataDir}, answered from recorded outputs of real models`,
        `tasks: ${tasks.join(', ')} (routes cascade, direct-small, latency-budget, static, and a shadow policy)`,
        ...(missing.length ? [`not shown (set missing): ${missing.join(', ')}`] : []),
      ],
      scope:
        'recorded answers, confidences and labels of real models show cascades on logprob and self-check confidence, ' +
        'schema checks, latency-budget dispatch, a static route and a shadow policy; 6-10 rows a task are too few to ' +
        'tell small accuracy differences from chance' +
        (missing.length ? `; not shown (set missing): ${missing.join(', ')}` : ''),
    };
  }
  const heldout = readJsonl(SHIPPED_HELDOUT);
  const requests = heldout.map((row) => request(SHIPPED_TASK, row));
  return {
    dataFiles: [SHIPPED_HELDOUT],
    requests,
    rows,
    source: 'shipped',
    notes: [
      `${opts.sharedDataDir} not found: running the data shipped in data/demo (RouteLLM, Apache-2.0; data/demo/NOTICE)`,
      `${heldout.length} GSM8K questions the calibration never saw (${path.basename(SHIPPED_HELDOUT)}), with ` +
        'Mixtral-8x7B-Instruct and GPT-4-1106 answers and correctness as RouteLLM recorded them (task routellm-gsm8k); ' +
        'RouteLLM recorded no token counts, so costs are priced at ~4 characters a token at the config list prices',
    ],
    scope:
      'the shipped data can show whether a router that decides from the prompt alone (the calibrated pre-route ' +
      'classifier) pays on real Mixtral and GPT-4 answers, on held-out rows graded by their recorded labels; it ' +
      "cannot show a cascade standing on the small model's confidence, because RouteLLM recorded no logprobs or " +
      'self-checks: run with ../shared/data for that',
  };
}
