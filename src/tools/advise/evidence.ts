/**
 * What `cascade advise` decides from, per task type: each candidate model's cost, tokens, latency
 * and quality signals, and (when the data has reference labels) labelled rows in the shape the
 * calibration search reads. From a profile directory (`cascade profile`) or from labelled JSONL
 * files in the shape of ../shared/data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LabelledDataError, readLabelledData, type PriceBook } from '../calibrate/labelled-data';
import type { LabelledRow } from '../calibrate/fit';
import { checkJsonAnswer } from '../../request/router/json-schema';
import { normalizeAnswer } from '../../request/router/agreement';
import type { ChatMessage } from '../../request/providers/types';
import { parseJsonLine } from '../recorded-models/dataset';
import { readMeta, readProfile } from '../profile/store';
import { percentile } from '../profile/summary';

export interface ModelEvidence {
  model: string;
  requests: number;
  meanCostUsd: number;
  meanTokens: number;
  latencyP95Ms: number | null;
  accuracy: number | null;
  agreementWithLarge: number | null;
  /** Share of answers valid against the task's schema; null when no schema is configured. */
  schemaValidRate: number | null;
}

export interface TaskEvidence {
  task: string;
  source: 'profile' | 'labelled';
  /** Files or the profile directory it came from. */
  from: string[];
  requests: number;
  models: ModelEvidence[];
  /** Cheapest and most expensive model (by mean cost of an answer): the ladder weighed. */
  small: string;
  large: string;
  /** Requests with a reference label for both small and large (what calibration runs on). */
  labelled: LabelledRow[];
  labelSource: string;
  /**
   * Requests with a reference label for every model, each model's outcome in it (correct, answer
   * cost): what "could one cheaper model serve alone?" is weighed on. Empty when no request has
   * labels for all.
   */
  staticRows: LabelledRow[];
  /**
   * Requests with a reference label for every model, each model's outcome with its confidence and
   * the cost of checking it, cheapest model first as `candidates` lists them (the last is `large`):
   * what `cascade calibrate --candidates` would calibrate on (the ladder chosen among them). Empty
   * when the models' outcomes cannot be read that way (then small and large only: `labelled`).
   */
  candidateRows: LabelledRow[];
  candidates: string[];
  /** The task's response schema (configured, or the requests'), null when none. */
  responseSchema: Record<string, unknown> | null;
  /** Per labelled row (same order): was the small model's answer schema-valid (null: no schema). */
  smallSchemaValid: (boolean | null)[];
  /** Orchestration actions of a static request, as measured (profile) or the workflow's 4. */
  staticActions: number;
  costPerAction: number;
  /** Mean tokens (in + out) of a request on the large model. */
  tokensPerRequest: number;
}

export class AdviseInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdviseInputError';
  }
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const SELF_CHECK_KINDS = new Set(['self_check_log_p_yes', 'self_check', 'judge_score', 'judge']);

export interface EvidenceOptions {
  /** small,large to weigh where a task has both; default cheapest and most expensive. */
  ladder?: [string, string];
  prices: PriceBook;
  /** Configured response schemas by task. */
  schemas: Record<string, Record<string, unknown> | undefined>;
  costPerAction: number;
}

function pickLadder(models: ModelEvidence[], ladder?: [string, string]): [string, string] {
  if (ladder && ladder.every((m) => models.some((x) => x.model === m))) return ladder;
  const byCost = [...models].sort((a, b) => a.meanCostUsd - b.meanCostUsd);
  return [byCost[0]!.model, byCost[byCost.length - 1]!.model];
}

/** From `cascade profile`'s directory. */
export function evidenceFromProfile(dir: string, opts: EvidenceOptions): TaskEvidence[] {
  const meta = readMeta(dir);
  const { records } = readProfile(dir);
  if (records.length === 0)
    throw new AdviseInputError(`${dir}: no profile results (${path.join(dir, 'profile.jsonl')})`);
  const nameOf = (id: string) => meta?.models.find((m) => m.id === id)?.name ?? id;
  const priceOf = (id: string) =>
    meta?.models.find((m) => m.id === id)?.pricing ?? opts.prices[nameOf(id)] ?? opts.prices[id];
  const tasks = [...new Set(records.map((r) => r.task))].sort();
  return tasks.map((task) => {
    const rs = records.filter((r) => r.task === task);
    const ids = [...new Set(rs.map((r) => r.model))];
    const byReq = new Map<string, Map<string, (typeof rs)[number]>>();
    for (const r of rs) {
      if (!byReq.has(r.requestId)) byReq.set(r.requestId, new Map());
      byReq.get(r.requestId)!.set(r.model, r);
    }
    const models0: ModelEvidence[] = ids.map((model) => {
      const m = rs.filter((r) => r.model === model);
      const ok = m.filter((r) => r.status === 'answered');
      const labelled = ok.filter((r) => r.quality.correct !== null);
      const withSchema = m.filter((r) => r.quality.schemaValid !== null);
      return {
        model,
        requests: m.length,
        meanCostUsd: mean(m.map((r) => r.costUsd)),
        meanTokens: mean(ok.map((r) => r.tokensIn + r.tokensOut)),
        latencyP95Ms: percentile(
          ok.map((r) => r.latencyMs),
          0.95,
        ),
        accuracy: labelled.length ? labelled.filter((r) => r.quality.correct).length / labelled.length : null,
        agreementWithLarge: null,
        schemaValidRate: withSchema.length
          ? withSchema.filter((r) => r.quality.schemaValid).length / withSchema.length
          : null,
      };
    });
    const [small, large] = pickLadder(models0, opts.ladder);
    const models = models0.map((m) => {
      let agree = 0;
      let n = 0;
      for (const pair of byReq.values()) {
        const a = pair.get(m.model)?.answer;
        const b = pair.get(large)?.answer;
        if (a == null || b == null) continue;
        n++;
        if (normalizeAnswer(a) === normalizeAnswer(b)) agree++;
      }
      return { ...m, agreementWithLarge: n ? agree / n : null };
    });
    type Record0 = (typeof rs)[number];
    /** A model's outcome on a request; a checking rung's cost includes its self-check call. */
    const outcome = (r: Record0, checking: boolean) => {
      const kind = checking ? r.quality.confidenceKind : null;
      const raw = checking ? r.quality.rawConfidence : null;
      const price = priceOf(r.model);
      // A self-check rung pays a second call: the answer re-read plus one token, at the model's price.
      const check =
        kind !== null && SELF_CHECK_KINDS.has(kind) && price
          ? ((r.tokensIn + r.tokensOut + 16) * price.inputPerMTok + price.outputPerMTok) / 1e6
          : 0;
      return {
        correct: r.quality.correct!,
        raw: raw === null ? null : raw,
        kind: raw === null ? null : (kind ?? 'answer_logprob'),
        costUsd: r.costUsd + check,
        answerCostUsd: r.costUsd,
      };
    };
    const labelled: LabelledRow[] = [];
    const smallSchemaValid: (boolean | null)[] = [];
    const sources = new Set<string>();
    for (const [requestId, pair] of byReq) {
      const s = pair.get(small);
      const l = pair.get(large);
      if (!s || !l || s.quality.correct === null || l.quality.correct === null) continue;
      if (s.quality.correctSource) sources.add(s.quality.correctSource);
      labelled.push({
        file: dir,
        line: s.line,
        id: requestId,
        task,
        messages: [],
        outcomes: { [small]: outcome(s, true), [large]: outcome(l, false) },
      });
      smallSchemaValid.push(s.quality.schemaValid);
    }
    const candidates = [
      ...models0
        .filter((m) => m.model !== large)
        .sort((a, b) => a.meanCostUsd - b.meanCostUsd)
        .map((m) => m.model),
      large,
    ];
    let candidateRows: LabelledRow[] = [];
    for (const [requestId, pair] of byReq) {
      const all = candidates.map((m) => pair.get(m));
      if (all.some((r) => !r || r.quality.correct === null)) continue;
      candidateRows.push({
        file: dir,
        line: all[0]!.line,
        id: requestId,
        task,
        messages: [],
        outcomes: Object.fromEntries(all.map((r, k) => [r!.model, outcome(r!, k < all.length - 1)])),
      });
    }
    // One calibration per model: every row has its confidence, or none does.
    if (
      !candidates.every((m) => {
        const n = candidateRows.filter((r) => r.outcomes[m]!.raw !== null).length;
        return n === 0 || n === candidateRows.length;
      })
    ) {
      candidateRows = [];
    }
    const staticRows: LabelledRow[] = [];
    for (const [requestId, pair] of byReq) {
      const all = ids.map((m) => pair.get(m));
      if (all.some((r) => !r || r.quality.correct === null)) continue;
      staticRows.push({
        file: dir,
        line: all[0]!.line,
        id: requestId,
        task,
        messages: [],
        outcomes: Object.fromEntries(
          all.map((r) => [r!.model, staticOutcome(r!.quality.correct!, r!.costUsd)]),
        ),
      });
    }
    // Every row needs a confidence for the small rung, or none does (one calibration per rung).
    const withConf = labelled.filter((r) => r.outcomes[small]!.raw !== null).length;
    const keep = labelled.map((r) => withConf === 0 || r.outcomes[small]!.raw !== null);
    const rows = labelled.filter((_, i) => keep[i]);
    const largeTokens = models.find((m) => m.model === large)!.meanTokens;
    return {
      task,
      source: 'profile' as const,
      from: [dir],
      requests: byReq.size,
      models,
      small,
      large,
      labelled: rows,
      staticRows,
      candidateRows,
      candidates,
      labelSource: sources.size ? [...sources].join(', ') : 'none',
      responseSchema: opts.schemas[task] ?? null,
      smallSchemaValid: smallSchemaValid.filter((_, i) => keep[i]),
      staticActions: mean(rs.map((r) => r.orchestrationActions)) + 1, // + the ledger record a served request makes
      costPerAction: meta?.costPerAction ?? opts.costPerAction,
      tokensPerRequest: largeTokens,
    };
  });
}

interface RawRow {
  task: string;
  models: Record<
    string,
    {
      answer?: unknown;
      correct?: unknown;
      cost_usd?: unknown;
      tokens?: { in?: unknown; out?: unknown };
      latency_ms?: unknown;
    }
  >;
  messages: ChatMessage[];
}

/** From labelled JSONL files (the shape of ../shared/data): grouped by task and model set. */
export function evidenceFromLabelled(files: string[], opts: EvidenceOptions): TaskEvidence[] {
  const groups = new Map<string, { task: string; files: Set<string>; rows: RawRow[] }>();
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new AdviseInputError(
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      );
    }
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let v: Record<string, unknown>;
      try {
        v = parseJsonLine(line) as Record<string, unknown>;
      } catch (err) {
        throw new AdviseInputError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
      }
      const models = v?.models;
      if (!models || typeof models !== 'object')
        throw new AdviseInputError(`${file}:${i + 1}: missing field "models"`);
      const task = typeof v.task === 'string' ? v.task : 'default';
      const key = `${task}\0${Object.keys(models).sort().join(',')}`;
      if (!groups.has(key)) groups.set(key, { task, files: new Set(), rows: [] });
      const g = groups.get(key)!;
      g.files.add(file);
      const messages: ChatMessage[] = [
        ...(typeof v.system === 'string' && v.system ? [{ role: 'system' as const, content: v.system }] : []),
        { role: 'user' as const, content: typeof v.prompt === 'string' ? v.prompt : '' },
      ];
      g.rows.push({ task, models: models as RawRow['models'], messages });
    });
  }
  const names = new Map<string, number>();
  for (const g of groups.values()) names.set(g.task, (names.get(g.task) ?? 0) + 1);
  return [...groups.values()].map((g) => {
    const label =
      names.get(g.task)! > 1
        ? `${g.task} (${[...g.files].map((f) => path.basename(f, '.jsonl')).join(', ')})`
        : g.task;
    const modelNames = Object.keys(g.rows[0]!.models);
    const schema = opts.schemas[g.task] ?? null;
    const costOf = (o: RawRow['models'][string], m: string, messages: ChatMessage[]): number => {
      if (typeof o.cost_usd === 'number' && Number.isFinite(o.cost_usd)) return o.cost_usd;
      const p = opts.prices[m];
      if (!p) return NaN;
      const chars = messages.reduce((s, x) => s + x.content.length, 0);
      const tin = typeof o.tokens?.in === 'number' ? o.tokens.in : Math.ceil(chars / 4);
      const tout =
        typeof o.tokens?.out === 'number'
          ? o.tokens.out
          : typeof o.answer === 'string'
            ? Math.ceil(o.answer.length / 4)
            : 1;
      return (tin * p.inputPerMTok + tout * p.outputPerMTok) / 1e6;
    };
    const tokensOf = (o: RawRow['models'][string]) =>
      typeof o.tokens?.in === 'number' && typeof o.tokens?.out === 'number'
        ? o.tokens.in + o.tokens.out
        : NaN;
    const models0: ModelEvidence[] = modelNames.map((m) => {
      const os = g.rows.map((r) => ({ o: r.models[m], r })).filter((x) => x.o);
      const labelledOs = os.filter((x) => typeof x.o!.correct === 'boolean');
      const lat = os.map((x) => x.o!.latency_ms).filter((x): x is number => typeof x === 'number');
      const answers = os.map((x) => x.o!.answer).filter((a): a is string => typeof a === 'string');
      const toks = os.map((x) => tokensOf(x.o!)).filter(Number.isFinite);
      return {
        model: m,
        requests: os.length,
        meanCostUsd: mean(os.map((x) => costOf(x.o!, m, x.r.messages)).filter(Number.isFinite)),
        meanTokens: toks.length
          ? mean(toks)
          : mean(g.rows.map((r) => r.messages.reduce((s, x) => s + x.content.length, 0) / 4)),
        latencyP95Ms: percentile(lat, 0.95),
        accuracy: labelledOs.length
          ? labelledOs.filter((x) => x.o!.correct === true).length / labelledOs.length
          : null,
        agreementWithLarge: null,
        schemaValidRate:
          schema && answers.length
            ? answers.filter((a) => checkJsonAnswer(schema, a).valid).length / answers.length
            : null,
      };
    });
    const [small, large] = pickLadder(models0, opts.ladder);
    const models = models0.map((m) => {
      const pairs = g.rows.filter(
        (r) => typeof r.models[m.model]?.answer === 'string' && typeof r.models[large]?.answer === 'string',
      );
      const agree = pairs.filter(
        (r) =>
          normalizeAnswer(r.models[m.model]!.answer as string) ===
          normalizeAnswer(r.models[large]!.answer as string),
      ).length;
      return { ...m, agreementWithLarge: pairs.length ? agree / pairs.length : null };
    });
    let labelled: LabelledRow[] = [];
    let labelSource = 'recorded-label';
    try {
      labelled = readLabelledData([...g.files], [small, large], opts.prices).rows.filter(
        (r) => r.task === g.task,
      );
    } catch (err) {
      if (!(err instanceof LabelledDataError)) throw err;
      labelSource = `none usable: ${err.message}`;
    }
    // Every model with its confidence and costs, as `cascade calibrate --candidates` reads them.
    const candidates = [
      ...models0
        .filter((m) => m.model !== large)
        .sort((x, y) => x.meanCostUsd - y.meanCostUsd)
        .map((m) => m.model),
      large,
    ];
    let candidateRows: LabelledRow[] = [];
    try {
      candidateRows = readLabelledData([...g.files], candidates, opts.prices).rows.filter(
        (r) => r.task === g.task,
      );
    } catch (err) {
      if (!(err instanceof LabelledDataError)) throw err;
    }
    const staticRows: LabelledRow[] = g.rows.flatMap((r, i) =>
      modelNames.every((m) => typeof r.models[m]?.correct === 'boolean')
        ? [
            {
              file: [...g.files].join(', '),
              line: i + 1,
              id: `${g.task}-${i}`,
              task: g.task,
              messages: r.messages,
              outcomes: Object.fromEntries(
                modelNames.map((m) => [
                  m,
                  staticOutcome(r.models[m]!.correct as boolean, costOf(r.models[m]!, m, r.messages)),
                ]),
              ),
            },
          ]
        : [],
    );
    const smallSchemaValid = labelled.map(() => null as boolean | null);
    if (schema) {
      // The recorded answers, in file order (labelled rows keep the files' order).
      const answers = g.rows.map((r) => r.models[small]?.answer);
      labelled.forEach((_, i) => {
        const a = answers[i];
        smallSchemaValid[i] = typeof a === 'string' ? checkJsonAnswer(schema, a).valid : false;
      });
    }
    return {
      task: label,
      source: 'labelled' as const,
      from: [...g.files],
      requests: g.rows.length,
      models,
      small,
      large,
      labelled,
      staticRows,
      candidateRows,
      candidates,
      labelSource,
      responseSchema: schema,
      smallSchemaValid,
      staticActions: 4,
      costPerAction: opts.costPerAction,
      tokensPerRequest: models.find((m) => m.model === large)!.meanTokens,
    };
  });
}

/** A model's outcome on one request, for static options only (no confidence, no check call). */
function staticOutcome(correct: boolean, costUsd: number): LabelledRow['outcomes'][string] {
  return { correct, raw: null, kind: null, costUsd, answerCostUsd: costUsd };
}
