/**
 * The profile's files in its directory: `profile.jsonl` (one result per (request, model) pair,
 * appended as each finishes) and `profile.meta.json` (what was profiled: id, sample, models and
 * their prices, the strongest model). Appends are one `write` of one line each; a process killed
 * mid-write can leave a partial last line, which reading skips (that pair is simply run again,
 * or rather re-attached to its finished workflow: nothing is paid twice).
 */
import fs from 'node:fs';
import path from 'node:path';

export const PROFILE_FILE = 'profile.jsonl';
export const META_FILE = 'profile.meta.json';
export const RECORD_VERSION = 1;

export interface ProfileModel {
  /** The config's model id (what the workflow ran). */
  id: string;
  /** The endpoint model name (what labelled data and the sample's `models` call it). */
  name: string;
  pricing: { inputPerMTok: number; outputPerMTok: number };
}

export interface ProfileMeta {
  kind: 'cascade-profile';
  format: 1;
  profileId: string;
  sample: { file: string; rows: number };
  models: ProfileModel[];
  /** The most expensive model (by list price): the answer others are compared with. */
  strongest: string;
  configVersion: string;
  costPerAction: number;
  createdAt: string;
}

/** The quality signals of one answer. */
export interface QualitySignals {
  /** Against the task's response schema; null when the task has none. */
  schemaValid: boolean | null;
  /**
   * The sample's reference label: `correct` of this model's recorded outcome in the row (rows of
   * ../shared/data: the served answer IS that recorded answer, so the label is its grade), or the
   * answer compared (normalised) with the row's `reference`. null: the sample has neither.
   */
  correct: boolean | null;
  correctSource: 'recorded-label' | 'reference' | null;
  /** The model's recorded confidence in the sample row (raw, as the data gives it), if any. */
  rawConfidence: number | null;
  confidenceKind: string | null;
}

export interface ProfileRecord {
  v: number;
  profileId: string;
  requestId: string;
  /** 1-based line of the request in the sample. */
  line: number;
  task: string;
  model: string;
  workflowId: string;
  status: 'answered' | 'failed';
  answer: string | null;
  error?: string;
  costUsd: number;
  /** Model time: the attempts' latencies summed (retries included). */
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  attempts: number;
  orchestrationActions: number;
  orchestrationCostUsd: number;
  quality: QualitySignals;
  /** True when this run found the workflow already started (resumed) and only collected its result. */
  reattached: boolean;
  finishedAt: string;
}

export const pairKey = (requestId: string, model: string) => `${requestId}\u0000${model}`;

export interface ProfileContents {
  records: ProfileRecord[];
  /** Lines that were not complete records (a torn last line after a kill), skipped. */
  skippedLines: number;
}

/** Reads `profile.jsonl` in sample order; later records of a pair replace earlier ones. Missing file: empty. */
export function readProfile(dir: string): ProfileContents {
  const file = path.join(dir, PROFILE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skippedLines: 0 };
    throw err;
  }
  const byPair = new Map<string, ProfileRecord>();
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let rec: ProfileRecord;
    try {
      rec = JSON.parse(line) as ProfileRecord;
    } catch {
      skippedLines++;
      continue;
    }
    if (typeof rec?.requestId !== 'string' || typeof rec.model !== 'string') {
      skippedLines++;
      continue;
    }
    byPair.set(pairKey(rec.requestId, rec.model), rec);
  }
  // In the sample's order (line, then model), not the order the runs finished in: the advice
  // splits rows into fit and test parts by index, so the same profile must read the same way.
  const records = [...byPair.values()].sort(
    (a, b) => a.line - b.line || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0),
  );
  return { records, skippedLines };
}

export function readMeta(dir: string): ProfileMeta | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, META_FILE), 'utf8')) as ProfileMeta;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function writeMeta(dir: string, meta: ProfileMeta): void {
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `${META_FILE}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(meta, null, 2) + '\n');
  fs.renameSync(tmp, path.join(dir, META_FILE));
}

/** Appends records, one line each, and makes sure a torn last line (from a kill) is ended first. */
export class ProfileWriter {
  private readonly fd: number;
  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, PROFILE_FILE);
    this.fd = fs.openSync(file, 'a+');
    const size = fs.fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(this.fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) fs.writeSync(this.fd, '\n');
    }
  }
  append(rec: ProfileRecord): void {
    fs.writeSync(this.fd, JSON.stringify(rec) + '\n');
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}
