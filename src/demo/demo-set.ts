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

/** Which cascades sets the demo uses, under which task of cascade.config.yaml. */
const SHARED_SETS: { file: string; task: string }[] = [
  { file: 'cascades/mmlu_llama_train.jsonl', task: 'mmlu' },
  { file: 'cascades/medmcqa_llama_train.jsonl', task: 'medmcqa' },
  { file: 'cascades/triviaqa_llama_train.jsonl', task: 'triviaqa' },
  { file: 'cascades/truthfulqa_llama_train.jsonl', task: 'truthfulqa' },
  { file: 'cascades/gsm8k_qwen_train.jsonl', task: 'gsm8k' },
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

/** Every k-th row, so the sample spreads over the set instead of taking its first lines. */
function spread<T>(rows: T[], n: number): T[] {
  const step = Math.max(1, Math.floor(rows.length / n));
  return rows.filter((_, i) => i % step === 0).slice(0, n);
}

export function demoSet(opts: { sharedDataDir: string; runId: string; perSet?: number }): DemoSet {
  const perSet = opts.perSet ?? 10;
  const present = SHARED_SETS.filter((s) => fs.existsSync(path.join(opts.sharedDataDir, s.file)));
  if (present.length > 0) {
    const dataFiles = present.map((s) => path.join(opts.sharedDataDir, s.file));
    const requests = present.flatMap((s) =>
      spread(readJsonl(path.join(opts.sharedDataDir, s.file)), perSet).map((row) => ({
        ...row,
        id: `${opts.runId}-${String(row.id)}`,
        task: s.task,
      })),
    );
    const missing = SHARED_SETS.filter((s) => !present.includes(s)).map((s) => s.task);
    return {
      dataFiles,
      requests,
      source: 'shared-data',
      notes: [
        `${requests.length} real queries from ${present.length} sets of ${opts.sharedDataDir}, answered from recorded outputs of real models`,
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
