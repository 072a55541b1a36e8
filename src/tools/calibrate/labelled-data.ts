/**
 * Reading labelled outcomes (JSONL in the shape of ../shared/data: one request a line, with
 * `prompt` (+ `system`) or `messages`, and `models: { <name>: { correct, raw_confidence?,
 * confidence_kind?, cost_usd?, tokens?, answer? } }`) for calibration and benchmarks, and
 * refusing bad data with an error that names the file and the line.
 *
 * Costs, modelled the way the workflow bills (src/tools/calibrate/simulate.ts):
 * - `costUsd` (the rung checks its confidence): the data's `cost_usd`. For self-check kinds
 *   (`self_check_log_p_yes`) that figure already holds BOTH calls, the answer and the yes/no check:
 *   in ../shared/data/cascades it is about twice the answer's tokens at the model's list price,
 *   while `answer_logprob` rows match the list price exactly;
 * - `answerCostUsd` (the rung answers without a check, e.g. the last rung): the answer call
 *   alone, i.e. the row's `tokens` at the model's price (the config's, or --prices); a model
 *   with no known price falls back to half the data's cost (the check re-reads the prompt and
 *   the answer, so the two calls are about the same size), with a warning;
 * - rows with no `cost_usd` (RouteLLM) are priced from their tokens (or ~4 characters a token
 *   of the prompt and the answer; 1 output token when the row has no answer) at the model's
 *   price; a model with no price is an error.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from '../../request/providers/types';
import { CONFIDENCE_KIND_SOURCES } from '../../request/router/calibration/artefact';
import type { LabelledOutcome, LabelledRow } from './fit';
import { RAW_LOGPROB_FLOOR } from '../../request/router/confidence';

export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
}
export type PriceBook = Record<string, Price>;

/** Bad labelled data: what is wrong, in which file, on which line (1-based; 0 = the file as a whole). */
export class LabelledDataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = 'LabelledDataError';
  }
}

export interface LabelledFileInfo {
  /** As given on the command line. */
  path: string;
  /** Base name, recorded in the artefact. */
  name: string;
  rows: number;
  sha256: string;
}

export interface LabelledData {
  rows: LabelledRow[];
  files: LabelledFileInfo[];
  warnings: string[];
}

const SELF_CHECK_KINDS = new Set(['self_check_log_p_yes', 'self_check', 'judge_score', 'judge']);

interface RawOutcome {
  correct?: unknown;
  raw_confidence?: unknown;
  confidence_kind?: unknown;
  cost_usd?: unknown;
  tokens?: { in?: unknown; out?: unknown };
  answer?: unknown;
}

const NON_FINITE = '@@non-finite@@';

/**
 * JSON.parse that also reads the bare NaN / Infinity / -Infinity Python's json.dumps writes, as
 * those numbers: the fields that are read then say what is wrong with them (a NaN confidence is
 * an error naming the field; a `-Infinity` confidence is a log-probability of 0 and is kept), and
 * fields of models outside the ladder do not matter.
 */
function parseLine(text: string, file: string, line: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    const marked = text.replace(/(?<=[:,[]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g, `"${NON_FINITE}$1"`);
    try {
      if (marked === text) throw err;
      v = restoreNonFinite(JSON.parse(marked));
    } catch (inner) {
      if (inner instanceof LabelledDataError) throw inner;
      throw new LabelledDataError(file, line, `not valid JSON (${(err as Error).message})`);
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new LabelledDataError(file, line, 'not a JSON object');
  return v as Record<string, unknown>;
}

function restoreNonFinite(v: unknown): unknown {
  if (typeof v === 'string' && v.startsWith(NON_FINITE)) return Number(v.slice(NON_FINITE.length));
  if (Array.isArray(v)) return v.map(restoreNonFinite);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, restoreNonFinite(x)]),
    );
  }
  return v;
}

function show(x: unknown): string {
  return typeof x === 'number' && !Number.isFinite(x)
    ? String(x)
    : typeof x === 'string'
      ? x
      : JSON.stringify(x);
}

function messagesOf(row: Record<string, unknown>, file: string, line: number): ChatMessage[] {
  if (Array.isArray(row.messages)) {
    return row.messages.map((m, i) => {
      const msg = m as { role?: unknown; content?: unknown };
      if (typeof msg?.content !== 'string' || !['system', 'user', 'assistant'].includes(String(msg.role))) {
        throw new LabelledDataError(
          file,
          line,
          `messages[${i}] needs a role (system/user/assistant) and a string content`,
        );
      }
      return { role: msg.role as ChatMessage['role'], content: msg.content };
    });
  }
  if (typeof row.prompt !== 'string' || row.prompt === '') {
    throw new LabelledDataError(file, line, 'missing field "prompt" (or "messages")');
  }
  const out: ChatMessage[] = [];
  if (typeof row.system === 'string' && row.system !== '') out.push({ role: 'system', content: row.system });
  out.push({ role: 'user', content: row.prompt });
  return out;
}

function tokensOf(o: RawOutcome, messages: ChatMessage[]): { in: number; out: number } {
  const tin = o.tokens?.in;
  const tout = o.tokens?.out;
  if (typeof tin === 'number' && typeof tout === 'number' && Number.isFinite(tin) && Number.isFinite(tout)) {
    return { in: tin, out: tout };
  }
  const chars = messages.reduce((s, m) => s + m.content.length, 0);
  return {
    in: Math.ceil(chars / 4),
    out: typeof o.answer === 'string' && o.answer.length > 0 ? Math.ceil(o.answer.length / 4) : 1,
  };
}

const priced = (p: Price, t: { in: number; out: number }) =>
  (t.in * p.inputPerMTok + t.out * p.outputPerMTok) / 1_000_000;

/**
 * Reads and checks labelled files for a ladder. Throws LabelledDataError for: a line that is not
 * JSON or has NaN/Infinity; a missing prompt, model outcome, `correct` or confidence; a confidence
 * that is not a finite number; a confidence kind that changes between rows; a model of the ladder
 * that the file does not have (reported at line 1); a rung whose outcomes are all one class.
 */
export function readLabelledData(
  files: readonly string[],
  ladder: readonly string[],
  prices: PriceBook = {},
  /** The option that named the models, for the unknown-model message. */
  flag = '--ladder',
): LabelledData {
  if (files.length === 0) throw new LabelledDataError('(no files)', 0, 'give at least one labelled file');
  const rows: LabelledRow[] = [];
  const infos: LabelledFileInfo[] = [];
  const warnings = new Set<string>();
  const K = ladder.length;
  // Per model: the confidence kind seen first (null = no confidence), and where.
  const kindSeen = new Map<string, { kind: string | null; file: string; line: number }>();

  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new LabelledDataError(file, 0, code === 'ENOENT' ? 'no such file' : String(err));
    }
    const lines = text.split('\n');
    let count = 0;
    for (let li = 0; li < lines.length; li++) {
      const raw = lines[li]!;
      if (raw.trim() === '') continue;
      const line = li + 1;
      const row = parseLine(raw, file, line);
      const messages = messagesOf(row, file, line);
      const models = row.models;
      if (!models || typeof models !== 'object' || Array.isArray(models)) {
        throw new LabelledDataError(file, line, 'missing field "models" (an object of per-model outcomes)');
      }
      const modelMap = models as Record<string, RawOutcome>;
      const outcomes: Record<string, LabelledOutcome> = {};
      for (let i = 0; i < K; i++) {
        const m = ladder[i]!;
        const o = Object.hasOwn(modelMap, m) ? modelMap[m] : undefined;
        if (!o || typeof o !== 'object') {
          const known = Object.keys(modelMap).join(', ') || '(none)';
          throw new LabelledDataError(
            file,
            line,
            count === 0
              ? `unknown model "${m}" in ${flag}: this file's models are ${known}`
              : `missing outcome for model "${m}" (models here: ${known})`,
          );
        }
        const at = `models.${m}`;
        if (typeof o.correct !== 'boolean') {
          throw new LabelledDataError(
            file,
            line,
            o.correct === undefined ? `missing field "${at}.correct"` : `${at}.correct must be true or false`,
          );
        }
        // The confidence: required on every rung but the last once any row has one.
        let rawConf: number | null = null;
        let kind: string | null = null;
        if (i < K - 1) {
          if (o.raw_confidence !== undefined) {
            const ok =
              typeof o.raw_confidence === 'number' &&
              (Number.isFinite(o.raw_confidence) || o.raw_confidence === -Infinity);
            if (!ok) {
              throw new LabelledDataError(
                file,
                line,
                `${at}.raw_confidence is ${show(o.raw_confidence)}, not a number`,
              );
            }
            // log P = -Infinity (P = 0) is kept as the floor calibration reads it as.
            rawConf = Math.max(o.raw_confidence as number, RAW_LOGPROB_FLOOR);
            kind = typeof o.confidence_kind === 'string' ? o.confidence_kind : 'answer_logprob';
            if (!CONFIDENCE_KIND_SOURCES[kind]) {
              throw new LabelledDataError(
                file,
                line,
                `${at}.confidence_kind "${kind}" is not one of ${Object.keys(CONFIDENCE_KIND_SOURCES).join(', ')}`,
              );
            }
          }
          const seen = kindSeen.get(m);
          if (!seen) kindSeen.set(m, { kind, file, line });
          else if (seen.kind !== kind) {
            throw new LabelledDataError(
              file,
              line,
              kind === null
                ? `missing field "${at}.raw_confidence" (${seen.file}:${seen.line} has one)`
                : seen.kind === null
                  ? `${at} has a confidence but ${seen.file}:${seen.line} has none: give every row one, or none`
                  : `${at}.confidence_kind is "${kind}" but ${seen.file}:${seen.line} has "${seen.kind}": calibrate one confidence kind per rung`,
            );
          }
        }
        // Costs.
        const price = prices[m];
        const tokens = tokensOf(o, messages);
        let costUsd: number;
        let answerCostUsd: number;
        if (o.cost_usd !== undefined) {
          if (typeof o.cost_usd !== 'number' || !Number.isFinite(o.cost_usd) || o.cost_usd < 0) {
            throw new LabelledDataError(file, line, `${at}.cost_usd must be a non-negative number`);
          }
          costUsd = o.cost_usd;
          const kindOfRow = typeof o.confidence_kind === 'string' ? o.confidence_kind : null;
          if (kindOfRow !== null && SELF_CHECK_KINDS.has(kindOfRow)) {
            if (price) answerCostUsd = Math.min(costUsd, priced(price, tokens));
            else {
              answerCostUsd = costUsd / 2;
              warnings.add(
                `no price for ${m}: its answer-only cost is taken as half of cost_usd (which includes the self-check)`,
              );
            }
          } else answerCostUsd = costUsd;
        } else {
          if (!price) {
            throw new LabelledDataError(
              file,
              line,
              `${at} has no cost_usd and model "${m}" has no price: give --prices ${m}=IN/OUT (USD per million tokens) or a --config that prices it`,
            );
          }
          answerCostUsd = priced(price, tokens);
          costUsd =
            kind !== null && SELF_CHECK_KINDS.has(kind)
              ? answerCostUsd + priced(price, { in: tokens.in + tokens.out + 16, out: 1 })
              : answerCostUsd;
        }
        outcomes[m] = { correct: o.correct, raw: rawConf, kind, costUsd, answerCostUsd };
      }
      rows.push({
        file,
        line,
        id: typeof row.id === 'string' ? row.id : `${path.basename(file)}:${line}`,
        task: typeof row.task === 'string' ? row.task : 'default',
        messages,
        outcomes,
      });
      count++;
    }
    if (count === 0) throw new LabelledDataError(file, 0, 'no rows');
    infos.push({
      path: file,
      name: path.basename(file),
      rows: count,
      sha256: createHash('sha256').update(text).digest('hex'),
    });
  }
  checkBothClasses(rows, ladder);
  return { rows, files: infos, warnings: [...warnings] };
}

/** A rung whose answers are all right (or all wrong) cannot be calibrated or learned. */
function checkBothClasses(rows: readonly LabelledRow[], ladder: readonly string[]): void {
  const K = ladder.length;
  const where = () => {
    const byFile = new Map<string, number[]>();
    for (const r of rows) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r.line]);
    return [...byFile.entries()].map(([f, ls]) => `${f} (lines ${ls[0]}-${ls[ls.length - 1]})`).join(', ');
  };
  ladder.forEach((m, i) => {
    const right = rows.filter((r) => r.outcomes[m]!.correct).length;
    if (i < K - 1 && (right === 0 || right === rows.length)) {
      throw new LabelledDataError(
        rows[0]!.file,
        0,
        `a single class: every row has models.${m}.correct = ${right > 0} in ${where()}; ` +
          'calibrating a rung needs both right and wrong answers',
      );
    }
    if (i === K - 1 && right === 0) {
      throw new LabelledDataError(
        rows[0]!.file,
        0,
        `models.${m}.correct is false on every row in ${where()}: the large model's accuracy is 0, so no relative quality exists`,
      );
    }
  });
}

/** Prices by model name from a config's models: by id and by the endpoint's model name. */
export function pricesFromConfig(models: Record<string, { model?: string; pricing: Price }>): PriceBook {
  const out: PriceBook = {};
  for (const [id, m] of Object.entries(models)) {
    out[id] = { ...m.pricing };
    if (m.model && !out[m.model]) out[m.model] = { ...m.pricing };
  }
  return out;
}

/** `a=0.2/0.6,b=3/3` -> prices (USD per million input/output tokens). */
export function parsePrices(spec: string): PriceBook {
  const out: PriceBook = {};
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(.+)=([\d.eE+-]+)\/([\d.eE+-]+)$/.exec(part);
    if (!m) throw new Error(`--prices: "${part}" is not MODEL=IN/OUT (USD per million tokens)`);
    const [, model, a, b] = m;
    const inputPerMTok = Number(a);
    const outputPerMTok = Number(b);
    if (!(inputPerMTok >= 0) || !(outputPerMTok >= 0))
      throw new Error(`--prices: "${part}" has a bad number`);
    out[model!] = { inputPerMTok, outputPerMTok };
  }
  return out;
}
