/**
 * Recorded outputs of real models, loaded from JSONL files of the `../shared/data` shape and indexed
 * by (model, sha256(system + prompt)) — the key the recorded-model server looks a request up by.
 *
 * Row shapes accepted (see ../shared/data/README.md), told apart by each file's first row:
 * - multi-model rows: `{ id, system?, prompt, models: { <name>: { answer, raw_confidence, ... } } }`;
 * - one row per model (llmdrift): `{ id, model, prompt, answer, latency_ms, cost_usd }`;
 * - MT-Bench questions and judgements (routellm/mt_bench): answers and judge replies, see mt-bench.ts.
 * A data path may be a folder: its `*.jsonl` files (not recursive), in name order.
 * Fields a source lacks are absent; the server flags whatever it has to derive instead.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  mtBenchKind,
  mtBenchReplies,
  parseMtBenchJudgement,
  parseMtBenchQuestion,
  type MtBenchFileKind,
  type MtBenchQuestion,
} from './mt-bench';

/** One recorded reply of one model to one prompt. Optional fields are absent in some sources. */
export interface RecordedReply {
  model: string;
  rowId: string;
  /** "" when the row has no system message. */
  system: string;
  prompt: string;
  /** The reply's text; "" for a reply that only calls tools. */
  answer: string;
  /** A recorded tool-call reply (data/synthetic/tools): the calls, in OpenAI's shape. */
  toolCalls?: RecordedToolCall[];
  correct?: boolean;
  /** Log-probability (answer token, or "Yes" of a self-check, per `confidenceKind`); may be -Infinity. */
  rawConfidence?: number;
  confidenceKind?: string;
  costUsd?: number;
  latencyMs?: number;
  tokensIn?: number;
  tokensOut?: number;
  /** A judge's recorded grading of an answer (MT-Bench): set on judge replies only. */
  judgement?: { judgeType: string; score: number; questionId: number; answerModel: string };
  file: string;
  line: number;
}

export interface RecordedToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface DatasetStats {
  files: number;
  rows: number;
  /** Model entries seen, servable or not. */
  entries: number;
  /** Entries indexed (answer present, key not seen before for that model). */
  servable: number;
  /** Entries without an answer (e.g. RouteLLM MMLU keeps correctness only): nothing to serve. */
  skippedNoAnswer: number;
  /** Entries whose (model, key) was already indexed: the first one is kept. */
  duplicates: number;
  /** MT-Bench second-turn judgements: they grade a conversation, not one prompt, so nothing is served. */
  skippedMultiTurn: number;
}

export interface DatasetOptions {
  /** Extra model names: `{ alias: realName }`; the real name must be servable. */
  aliases?: Record<string, string>;
}

/** A malformed data line: the message names the file and the 1-based line number. */
export class DatasetError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = 'DatasetError';
  }
}

/** The lookup key of a prompt: sha256 of system + last user message, plain concatenation, hex. */
export function promptKey(system: string, user: string): string {
  return createHash('sha256')
    .update(system + user, 'utf8')
    .digest('hex');
}

export class RecordedDataset {
  private readonly byModel = new Map<string, Map<string, RecordedReply>>();
  private readonly aliasMap = new Map<string, string>();
  private readonly keys = new Set<string>();
  private readonly judges = new Set<string>();
  readonly stats: DatasetStats;
  readonly files: readonly string[];

  constructor(files: readonly string[], stats: DatasetStats) {
    this.files = files;
    this.stats = stats;
  }

  /** Indexes a reply unless its (model, key) is already there; returns whether it was added. */
  add(key: string, reply: RecordedReply): boolean {
    let index = this.byModel.get(reply.model);
    if (!index) {
      index = new Map();
      this.byModel.set(reply.model, index);
    }
    if (index.has(key)) return false;
    index.set(key, reply);
    this.keys.add(key);
    if (reply.judgement) this.judges.add(reply.model);
    return true;
  }

  /** Real model names with at least one recorded judgement (MT-Bench's `gpt-4`), sorted. */
  judgeModels(): string[] {
    return [...this.judges].sort();
  }

  addAlias(alias: string, realName: string): void {
    if (!this.byModel.has(realName)) {
      throw new Error(
        `alias ${JSON.stringify(alias)} points to ${JSON.stringify(realName)}, which no data file serves`,
      );
    }
    if (this.byModel.has(alias)) {
      throw new Error(`alias ${JSON.stringify(alias)} is already the name of a recorded model`);
    }
    this.aliasMap.set(alias, realName);
  }

  /** The recorded model a requested name serves from (itself or through an alias), or undefined. */
  resolveModel(name: string): string | undefined {
    if (this.byModel.has(name)) return name;
    return this.aliasMap.get(name);
  }

  lookup(model: string, key: string): RecordedReply | undefined {
    const real = this.resolveModel(model);
    return real === undefined ? undefined : this.byModel.get(real)?.get(key);
  }

  /** Real model names with at least one servable reply, sorted. */
  models(): string[] {
    return [...this.byModel.keys()].sort();
  }

  aliases(): Record<string, string> {
    return Object.fromEntries(this.aliasMap);
  }

  /** Distinct prompt keys over all models. */
  get promptCount(): number {
    return this.keys.size;
  }

  /** Servable replies of one model (real or alias name). */
  replyCount(model: string): number {
    const real = this.resolveModel(model);
    return real === undefined ? 0 : (this.byModel.get(real)?.size ?? 0);
  }
}

/**
 * Loads and indexes the files (read in parallel, indexed in the given order, so with duplicate keys
 * the earlier file wins). Throws DatasetError naming file and line for an unreadable file or a bad line.
 */
export async function loadDataset(
  paths: readonly string[],
  opts: DatasetOptions = {},
): Promise<RecordedDataset> {
  const files = await expandPaths(paths);
  const texts = await Promise.all(
    files.map(async (file) => {
      try {
        return await readFile(file, 'utf8');
      } catch (err) {
        throw new DatasetError(file, 0, `cannot read data file: ${(err as Error).message}`);
      }
    }),
  );
  const stats: DatasetStats = {
    files: files.length,
    rows: 0,
    entries: 0,
    servable: 0,
    skippedNoAnswer: 0,
    duplicates: 0,
    skippedMultiTurn: 0,
  };
  const dataset = new RecordedDataset(files, stats);
  const kinds = texts.map((text) => fileKind(text));
  // Judgements are checked against the questions, so every question file is read first.
  const questions = new Map<number, MtBenchQuestion>();
  files.forEach((file, i) => {
    if (kinds[i] !== 'mt_bench_questions') return;
    forEachRow(file, texts[i] ?? '', stats, (row, line) => {
      const q = wrap(file, line, () => parseMtBenchQuestion(row));
      if (!questions.has(q.questionId)) questions.set(q.questionId, q);
    });
  });
  files.forEach((file, i) => {
    const text = texts[i] ?? '';
    if (kinds[i] === 'mt_bench_judgements') indexMtBench(dataset, file, text, questions, stats);
    else if (kinds[i] === null)
      forEachRow(file, text, stats, (row, line) => indexRow(dataset, file, line, row, stats));
  });
  for (const [alias, real] of Object.entries(opts.aliases ?? {})) dataset.addAlias(alias, real);
  return dataset;
}

/** Data paths with each folder replaced by its `*.jsonl` files in name order. */
async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      // Not there or not readable: readFile reports it with the file's name.
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    const names = (await readdir(p)).filter((n) => n.endsWith('.jsonl')).sort();
    if (names.length === 0) throw new DatasetError(p, 0, 'the folder has no .jsonl data files');
    out.push(...names.map((n) => path.join(p, n)));
  }
  return out;
}

/** The MT-Bench kind of a file by its first non-blank row, or null for the ../shared/data row shape. */
function fileKind(text: string): MtBenchFileKind | null {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    try {
      return mtBenchKind(parseJsonLine(line));
    } catch {
      return null; // the row loop reports the bad line with its number
    }
  }
  return null;
}

function indexMtBench(
  dataset: RecordedDataset,
  file: string,
  text: string,
  questions: ReadonlyMap<number, MtBenchQuestion>,
  stats: DatasetStats,
): void {
  forEachRow(file, text, stats, (row, line) => {
    const result = wrap(file, line, () => parseMtBenchJudgement(row, questions));
    stats.entries++;
    if (result.kind === 'multi_turn') {
      stats.skippedMultiTurn++;
      return;
    }
    // One row, two replies: the model's answer and the judge's grading of it.
    stats.entries++;
    const { answer, judge } = mtBenchReplies(result.judgement);
    for (const r of [answer, judge]) {
      const added = dataset.add(promptKey(r.system, r.prompt), { ...r, file, line });
      if (added) stats.servable++;
      else stats.duplicates++;
    }
  });
}

function wrap<T>(file: string, line: number, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new DatasetError(file, line, (err as Error).message);
  }
}

/** Calls `each` with every non-blank line parsed, counting rows; a bad line names file and line. */
function forEachRow(
  file: string,
  text: string,
  stats: DatasetStats,
  each: (row: unknown, line: number) => void,
): void {
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    let row: unknown;
    try {
      row = parseJsonLine(line);
    } catch (err) {
      throw new DatasetError(file, lineNo, `invalid JSON: ${(err as Error).message}`);
    }
    stats.rows++;
    each(row, lineNo);
  }
}

function indexRow(
  dataset: RecordedDataset,
  file: string,
  line: number,
  row: unknown,
  stats: DatasetStats,
): void {
  const fail = (detail: string): never => {
    throw new DatasetError(file, line, detail);
  };
  if (!isObject(row)) return fail('a row must be a JSON object');
  const prompt = row.prompt;
  if (typeof prompt !== 'string') return fail('the row has no string "prompt"');
  const system = row.system === undefined || row.system === null ? '' : row.system;
  if (typeof system !== 'string') return fail('"system" must be a string when present');
  const rowId = row.id === undefined ? `${file}:${line}` : String(row.id);
  const key = promptKey(system, prompt);

  let entries: [string, Record<string, unknown>][];
  if (row.models !== undefined) {
    if (!isObject(row.models)) return fail('"models" must be an object of model name -> entry');
    entries = Object.entries(row.models).map(([name, entry]) =>
      isObject(entry) ? [name, entry] : fail(`models.${name} must be an object`),
    );
  } else if (typeof row.model === 'string' && row.model !== '') {
    entries = [[row.model, row]];
  } else {
    return fail('the row has neither "models" nor a string "model"');
  }

  for (const [model, entry] of entries) {
    stats.entries++;
    const where = row.models !== undefined ? `models.${model}.` : '';
    if (entry.answer === undefined || entry.answer === null) {
      stats.skippedNoAnswer++;
      continue;
    }
    // A tool-call reply is recorded as an assistant message's `{ tool_calls: [...] }`.
    const toolCalls = isObject(entry.answer)
      ? readToolCalls(entry.answer, `${where}answer`, fail)
      : undefined;
    if (typeof entry.answer !== 'string' && !toolCalls)
      fail(`${where}answer must be a string or { tool_calls: [...] }`);
    const tokens = entry.tokens;
    if (tokens !== undefined && tokens !== null && !isObject(tokens))
      fail(`${where}tokens must be an object`);
    const reply: RecordedReply = {
      model,
      rowId,
      system,
      prompt,
      answer: toolCalls ? '' : (entry.answer as string),
      ...(toolCalls ? { toolCalls } : {}),
      correct: optional(entry.correct, 'boolean', `${where}correct`, fail),
      rawConfidence: optionalNumber(entry.raw_confidence, `${where}raw_confidence`, fail),
      confidenceKind: optional(entry.confidence_kind, 'string', `${where}confidence_kind`, fail),
      costUsd: optionalNumber(entry.cost_usd, `${where}cost_usd`, fail),
      latencyMs: optionalNumber(entry.latency_ms, `${where}latency_ms`, fail),
      tokensIn: isObject(tokens) ? optionalNumber(tokens.in, `${where}tokens.in`, fail) : undefined,
      tokensOut: isObject(tokens) ? optionalNumber(tokens.out, `${where}tokens.out`, fail) : undefined,
      file,
      line,
    };
    if (dataset.add(key, reply)) stats.servable++;
    else stats.duplicates++;
  }
}

function readToolCalls(
  answer: Record<string, unknown>,
  where: string,
  fail: (detail: string) => never,
): RecordedToolCall[] {
  const calls = answer.tool_calls;
  if (!Array.isArray(calls) || calls.length === 0)
    return fail(`${where}.tool_calls must be a non-empty list`);
  return calls.map((c: unknown, i) => {
    const fn = isObject(c) ? c.function : undefined;
    if (!isObject(c) || !isObject(fn) || typeof fn.name !== 'string' || typeof fn.arguments !== 'string') {
      return fail(
        `${where}.tool_calls[${i}] must be { id?, type: "function", function: { name, arguments } }`,
      );
    }
    return {
      id: typeof c.id === 'string' ? c.id : `call_${i}`,
      type: 'function' as const,
      function: { name: fn.name, arguments: fn.arguments },
    };
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optional<T extends 'boolean' | 'string'>(
  v: unknown,
  type: T,
  field: string,
  fail: (detail: string) => never,
): (T extends 'boolean' ? boolean : string) | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type) fail(`${field} must be a ${type}`);
  return v as T extends 'boolean' ? boolean : string;
}

/** NaN (a source's "unknown") reads as absent, so the server never serves it as a value. */
function optionalNumber(v: unknown, field: string, fail: (detail: string) => never): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') fail(`${field} must be a number`);
  return Number.isNaN(v) ? undefined : (v as number);
}

// Some sources were written by Python's json module, which emits bare -Infinity / Infinity / NaN
// (e.g. a self-check log P(yes) of -Infinity). Standard JSON.parse rejects them, so a line that
// fails is re-parsed with those tokens (outside strings) swapped for sentinel strings and revived.
const SENTINEL = '\u0000recorded-nonfinite:';
/** The same sentinel as JSON source text (a raw U+0000 is not allowed inside a JSON string). */
const SENTINEL_JSON = '\\u0000recorded-nonfinite:';
const NON_FINITE: Record<string, number> = { '-Infinity': -Infinity, Infinity: Infinity, NaN: NaN };

/** JSON.parse that also accepts Python's bare -Infinity, Infinity and NaN. */
export function parseJsonLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    const patched = replaceNonFiniteTokens(line);
    if (patched === line) throw err;
    return JSON.parse(patched, (_k, v: unknown) =>
      typeof v === 'string' && v.startsWith(SENTINEL) ? NON_FINITE[v.slice(SENTINEL.length)] : v,
    );
  }
}

function replaceNonFiniteTokens(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    for (const token of ['-Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(token, i)) {
        out += `${text.slice(last, i)}"${SENTINEL_JSON}${token}"`;
        i += token.length - 1;
        last = i + 1;
        break;
      }
    }
  }
  return last === 0 ? text : out + text.slice(last);
}
