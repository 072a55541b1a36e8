/**
 * A traffic sample for `cascade profile`: the Contracts' request JSONL, rows of ../shared/data
 * accepted as they are. Their `models` field is not a request field (the workflow never sees it),
 * but it is what the sample knows about each model's answer: a `correct` label, and the model's
 * recorded confidence. The profiler uses those as the sample's reference labels, and says so.
 */
import { parseRequest, RequestError } from '../../doors/client/request';
import fs from 'node:fs/promises';
import { parseJsonLine } from '../recorded-models/dataset';

export interface RecordedLabel {
  answer?: string;
  correct?: boolean;
  raw_confidence?: number;
  confidence_kind?: string;
}

export interface SampleRow {
  line: number;
  /** The row as the request (the `--task` default applied). */
  value: Record<string, unknown>;
  requestId: string;
  task: string;
  /** The row's `models`: per endpoint model name, what the sample recorded for it. */
  labels: Record<string, RecordedLabel>;
  /** The row's `reference` answer, when it has one. */
  reference: string | null;
}

export interface SampleIssue {
  line: number;
  requestId?: string;
  error: string;
}

export interface Sample {
  file: string;
  rows: SampleRow[];
  invalid: SampleIssue[];
}

export class SampleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SampleError';
  }
}

/** Reads and validates a sample; invalid rows (and repeated ids) are listed, not run. */
export async function readSample(
  file: string,
  opts: { task?: string; defaultTask?: string } = {},
): Promise<Sample> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SampleError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  // JSON lines; Python's bare -Infinity / NaN (some ../shared/data rows have them) are read too.
  const raw: { line: number; value: unknown }[] = [];
  const broken: string[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      raw.push({ line: i + 1, value: parseJsonLine(l.trim()) });
    } catch (err) {
      broken.push(`  ${file}:${i + 1}: ${(err as Error).message}`);
    }
  });
  if (broken.length > 0) {
    throw new SampleError(
      `${file}: ${broken.length} line(s) are not valid JSON:\n${broken.slice(0, 20).join('\n')}`,
    );
  }
  const rows: SampleRow[] = [];
  const invalid: SampleIssue[] = [];
  const seen = new Map<string, number>();
  for (const { line, value } of raw) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      invalid.push({ line, error: 'not a JSON object' });
      continue;
    }
    const row = { ...(value as Record<string, unknown>) };
    if (row.task === undefined && opts.task) row.task = opts.task;
    try {
      const req = parseRequest(row);
      const first = seen.get(req.id);
      if (first !== undefined) {
        invalid.push({ line, requestId: req.id, error: `duplicate id (first on line ${first})` });
        continue;
      }
      seen.set(req.id, line);
      const models = row.models;
      rows.push({
        line,
        value: row,
        requestId: req.id,
        task: req.task ?? opts.defaultTask ?? 'default',
        labels:
          models && typeof models === 'object' && !Array.isArray(models)
            ? (models as Record<string, RecordedLabel>)
            : {},
        reference: typeof row.reference === 'string' ? row.reference : null,
      });
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      invalid.push({
        line,
        ...(err.requestId !== undefined ? { requestId: err.requestId } : {}),
        error: err.issues.map((i) => `${i.path || '(request)'}: ${i.message}`).join('; '),
      });
    }
  }
  return { file, rows, invalid };
}
