/**
 * The requests `npm start` runs through the cascade. With ../shared/data present it takes real
 * rows of the cascades sets (read where they lie, never copied into the project); without it,
 * the small Apache-licensed RouteLLM sample shipped in data/demo/, and it says which routes it
 * could not show.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface DemoSet {
  /** The recorded-model server serves these files. */
  dataFiles: string[];
  requests: Record<string, unknown>[];
  /** What the demo shows, and what it could not, in a sentence each. */
  notes: string[];
  source: 'shared-data' | 'shipped-sample';
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

const SHIPPED = path.resolve(__dirname, '../../../data/demo/routellm-gsm8k-sample.jsonl');
const SHIPPED_FROM_SRC = path.resolve(__dirname, '../../data/demo/routellm-gsm8k-sample.jsonl');

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
  if (present.length > 0) {
    const dataFiles = [...new Set(present.map((s) => path.join(opts.sharedDataDir, s.file)))];
    const requests = present.flatMap((s) =>
      spread(readJsonl(path.join(opts.sharedDataDir, s.file)), s.rows, s.offset).map((row) => ({
        ...row,
        id: `${opts.runId}-${s.task}-${String(row.id)}`,
        task: s.task,
      })),
    );
    const missing = SHARED_SETS.filter((s) => !present.includes(s)).map((s) => s.task);
    const tasks = [...new Set(present.map((s) => s.task))];
    return {
      dataFiles,
      requests,
      source: 'shared-data',
      notes: [
        `${requests.length} real queries from ${dataFiles.length} sets of ${opts.sharedDataDir}, answered from recorded outputs of real models`,
        `tasks: ${tasks.join(', ')} (routes cascade, direct-small, latency-budget, static, and a shadow policy)`,
        ...(missing.length ? [`not shown (set missing): ${missing.join(', ')}`] : []),
      ],
    };
  }
  const shipped = fs.existsSync(SHIPPED) ? SHIPPED : SHIPPED_FROM_SRC;
  const rows = readJsonl(shipped);
  const requests = rows.flatMap((row, i) => [
    {
      ...row,
      id: `${opts.runId}-${String(row.id)}`,
      task: i % 2 === 0 ? 'routellm-gsm8k' : 'routellm-gsm8k-static',
    },
  ]);
  return {
    dataFiles: [shipped],
    requests,
    source: 'shipped-sample',
    notes: [
      `${opts.sharedDataDir} not found: using the ${rows.length}-row RouteLLM sample shipped in data/demo (Apache-2.0)`,
      'shown: the static route, and a cascade escalating answers it cannot score (the sample has no confidences)',
      'not shown without ../shared/data: confidence cascades that stand on the small model (logprob and self-check)',
    ],
  };
}
