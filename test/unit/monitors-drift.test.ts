/**
 * drift_input and drift_outcome on real rows of ../shared/data:
 * - LLMDrift's 1000 "is N prime?" questions answered by gpt-4-0314 (84% correct) and gpt-4-0613
 *   (50%), both served as "gpt-4": the snapshot change must show as an accuracy drift; the same
 *   snapshot on two halves of the questions must not. Likewise gpt-3.5-turbo-0301 -> -0613 (up).
 * - The structural features of real prompts (MMLU, GSM8K; src/router/features.ts): a move from
 *   one mix to another drifts, two halves of one sample do not.
 * - The raw confidences of real models (MMLU, answer logprobs): llama3.1-8b's confidences on two
 *   halves stay put; llama3.2-1b's under the same name shift.
 */
import { describe, expect, it } from 'vitest';
import type { FeedbackRow, PurposeCost, RequestRow } from '../../src/ledger/types';
import { computeReport } from '../../src/monitors/compute-report';
import type { Report } from '../../src/monitors/types';
import { ruleComplexity, structuralFeatures } from '../../src/router/features';
import { readRows } from '../helpers/rows';
import { hasSharedData, sharedDataPath } from '../helpers/shared-data';
import { config, REFERENCE, requestRow, rng, stream, WINDOW, type Stream } from './monitors-fixtures';

const cfg = config();

function report(current: Stream, reference: Stream): Report {
  return computeReport(
    { current, retries: [], reference },
    { window: WINDOW, reference: reference.window, config: cfg },
  );
}
const alertsOf = (r: Report, m: string) => r.alerts.filter((a) => a.monitor === m);

interface PrimeRow {
  id: string;
  model: string;
  prompt: string;
  reference: string;
  answer: string;
}

/** Correct when the first [Yes] / [No] of the answer matches the reference (case apart). */
function primeCorrect(r: PrimeRow): boolean {
  const m = /\[(yes|no)\]/i.exec(r.answer);
  return m !== null && m[1]!.toLowerCase() === r.reference.toLowerCase();
}

/**
 * A window of served "gpt-4" answers (static route) from one snapshot's rows, with feedback. Each
 * request first gets a wrong rating, then the right one: the latest must count.
 */
function primeWindow(rows: PrimeRow[], window: { from: number; to: number }, tag: string): Stream {
  const requests: RequestRow[] = [];
  const feedback: FeedbackRow[] = [];
  const calls: PurposeCost[] = [];
  const step = (window.to - window.from) / rows.length;
  rows.forEach((r, i) => {
    const id = `${tag}-${r.id}`;
    const startedAt = Math.floor(window.from + i * step);
    const served = r.model.includes('gpt-4') ? 'gpt-4' : 'gpt-3.5-turbo';
    requests.push(
      requestRow({
        id,
        startedAt,
        task: 'prime',
        taskType: 'math',
        route: 'static',
        rungModels: [served],
        finalModel: served,
      }),
    );
    const ok = primeCorrect(r) ? 1 : 0;
    feedback.push(
      {
        id: 2 * i + 1,
        requestId: id,
        createdAt: startedAt + 1000,
        score: 1 - ok,
        label: null,
        source: 'eval',
        key: 'a',
      },
      {
        id: 2 * i + 2,
        requestId: id,
        createdAt: startedAt + 2000,
        score: ok,
        label: null,
        source: 'eval',
        key: 'b',
      },
    );
    const tokensOut = Math.ceil(r.answer.length / 4);
    calls.push({
      requestId: id,
      purpose: 'answer',
      model: served,
      attempts: 1,
      okAttempts: 1,
      costUsd: 0,
      tokensIn: 30,
      tokensOut,
    });
  });
  return { window, requests, feedback, calls, retries: [] };
}

describe.skipIf(!hasSharedData())('drift on real rows', () => {
  const prime = () => readRows(sharedDataPath('llmdrift/prime.jsonl')) as unknown as PrimeRow[];
  const snapshot = (model: string) => prime().filter((r) => r.model === `openaichat/${model}`);
  // The set lists the 500 primes first, then 500 composites: halves are taken by odd / even question.
  const qid = (r: PrimeRow) => Number(/^prime-(\d+)-/.exec(r.id)![1]);

  it('gpt-4-0314 -> gpt-4-0613 under one name: accuracy drift 84% -> 50%, recalibration recommended', () => {
    const ref = primeWindow(
      snapshot('gpt-4-0314').filter((r) => qid(r) % 2 === 0),
      REFERENCE,
      'ref',
    );
    const cur = primeWindow(
      snapshot('gpt-4-0613').filter((r) => qid(r) % 2 === 1),
      WINDOW,
      'cur',
    );
    const r = report(cur, ref);
    const o = r.drift.outcomes.find((x) => x.task === 'prime' && x.model === 'gpt-4')!;
    expect(o.drifted).toBe(true);
    expect(o.accuracy!.reference.n).toBe(500);
    expect(o.accuracy!.current.n).toBe(500);
    expect(o.accuracy!.reference.rate!).toBeGreaterThan(0.78);
    expect(o.accuracy!.current.rate!).toBeLessThan(0.56);
    expect(o.accuracy!.pValue!).toBeLessThan(1e-6);
    expect(o.confidence).toBeNull(); // no confidences recorded on a static route
    expect(o.tokensOut.current!).toBeLessThan(o.tokensOut.reference! / 10); // 0613 answers "[No]" alone
    const [a] = alertsOf(r, 'drift_outcome');
    expect(a).toMatchObject({ key: 'prime/gpt-4:accuracy', severity: 'critical' });
    expect(a!.message).toMatch(/accuracy fell from 8\d(\.\d)?% .* to (4|5)\d(\.\d)?%/);
    expect(a!.recommendation).toMatch(/^recalibrate prime .*cascade calibrate --train/);
  });

  it('the same snapshot on two halves of the questions: no drift', () => {
    for (const model of ['gpt-4-0314', 'gpt-4-0613', 'gpt-3.5-turbo-0613']) {
      const rows = snapshot(model);
      const r = report(
        primeWindow(
          rows.filter((x) => qid(x) % 2 === 1),
          WINDOW,
          'cur',
        ),
        primeWindow(
          rows.filter((x) => qid(x) % 2 === 0),
          REFERENCE,
          'ref',
        ),
      );
      expect(r.drift.outcomes, model).toHaveLength(1);
      expect(r.drift.outcomes[0]!.drifted, model).toBe(false);
      expect(r.alerts, model).toEqual([]);
    }
  });

  it('gpt-3.5-turbo-0301 -> -0613: accuracy rose, a warning', () => {
    const r = report(
      primeWindow(
        snapshot('gpt-3.5-turbo-0613').filter((x) => qid(x) % 2 === 1),
        WINDOW,
        'cur',
      ),
      primeWindow(
        snapshot('gpt-3.5-turbo-0301').filter((x) => qid(x) % 2 === 0),
        REFERENCE,
        'ref',
      ),
    );
    expect(alertsOf(r, 'drift_outcome')).toMatchObject([
      { key: 'prime/gpt-3.5-turbo:accuracy', severity: 'warning' },
    ]);
  });

  /** Routed requests carrying the real prompts' structural features (and a real confidence). */
  function promptWindow(
    rows: {
      id: string;
      system?: string;
      prompt: string;
      models: Record<string, { raw_confidence?: number }>;
    }[],
    window: { from: number; to: number },
    confidenceOf: string,
  ): Stream {
    const step = (window.to - window.from) / rows.length;
    const requests = rows.map((r, i) => {
      const messages = [
        ...(r.system ? [{ role: 'system' as const, content: r.system }] : []),
        { role: 'user' as const, content: r.prompt },
      ];
      const f = structuralFeatures(messages);
      return requestRow({
        id: `${window.from}-${r.id}`,
        startedAt: Math.floor(window.from + i * step),
        features: { ...(f as unknown as Record<string, number>), complexity: ruleComplexity(f) },
        confidenceModel: 'small',
        rawConfidence: r.models[confidenceOf]?.raw_confidence ?? null,
      });
    });
    return { window, requests, feedback: [], calls: [], retries: [] };
  }

  /** A fixed shuffle (seeded), so "halves" are random halves. */
  function shuffled<T>(xs: T[], seed: number): T[] {
    const rand = rng(seed);
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  it('input features: a move from MMLU-like to GSM8K-like traffic drifts; two halves of one mix do not', () => {
    const mmlu = readRows(sharedDataPath('cascades/mmlu_llama_train.jsonl'));
    const gsm8k = readRows(sharedDataPath('cascades/gsm8k_llama_train.jsonl'));
    const mixed = shuffled([...mmlu, ...gsm8k], 1);
    const half = Math.floor(mixed.length / 2);
    const steady = report(
      promptWindow(mixed.slice(half), WINDOW, 'llama3.1-8b'),
      promptWindow(mixed.slice(0, half), REFERENCE, 'llama3.1-8b'),
    );
    expect(steady.drift.features.length).toBeGreaterThan(10);
    expect(steady.drift.features.filter((f) => f.drifted)).toEqual([]);
    expect(alertsOf(steady, 'drift_input')).toEqual([]);

    const moved = report(
      promptWindow(gsm8k, WINDOW, 'llama3.1-8b'),
      promptWindow(mmlu, REFERENCE, 'llama3.1-8b'),
    );
    const drifted = moved.drift.features.filter((f) => f.drifted).map((f) => f.feature);
    expect(drifted).toContain('approxTokens');
    const a = alertsOf(moved, 'drift_input').find((x) => x.key === 'feature:approxTokens')!;
    expect(a.value).toBeGreaterThan(Math.max(cfg.drift.psi, a.evidence.critical as number));
    expect(a.evidence).toMatchObject({ n: 300, referenceN: 285 });
  });

  it('raw confidence: the same model on two halves stays; another model under its name shifts', () => {
    const mmlu = shuffled(readRows(sharedDataPath('cascades/mmlu_llama_train.jsonl')), 2);
    const half = Math.floor(mmlu.length / 2);
    const ref = promptWindow(mmlu.slice(0, half), REFERENCE, 'llama3.1-8b');
    const same = report(promptWindow(mmlu.slice(half), WINDOW, 'llama3.1-8b'), ref);
    const s = same.drift.outcomes.find((o) => o.model === 'small')!;
    expect(s.confidence!.n).toBe(mmlu.length - half);
    expect(s.confidence!.psi).toBeLessThan(s.confidence!.critical);
    expect(alertsOf(same, 'drift_outcome')).toEqual([]);

    const swapped = report(promptWindow(mmlu.slice(half), WINDOW, 'llama3.2-1b'), ref);
    const o = swapped.drift.outcomes.find((x) => x.model === 'small')!;
    expect(o.drifted).toBe(true);
    expect(alertsOf(swapped, 'drift_outcome').map((x) => x.key)).toEqual(['qa/small:confidence']);
  });
});

describe('drift on synthetic streams', () => {
  it('a steady stream: no drift of any kind', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = report(
        stream({ window: WINDOW, n: 250, seed, hardShare: 0.25 }),
        stream({ window: REFERENCE, n: 2000, seed: 100 + seed, hardShare: 0.25 }),
      );
      expect(r.drift.features.map((f) => f.feature).sort()).toEqual([
        'approxTokens',
        'codeBlocks',
        'complexity',
        'instructions',
      ]);
      expect(
        r.alerts.filter((a) => a.monitor.startsWith('drift')),
        `seed ${seed}`,
      ).toEqual([]);
    }
  });

  it('a shifted mix: the features drift, and so does the small model escalation rate', () => {
    const r = report(
      stream({ window: WINDOW, n: 250, seed: 1, hardShare: 0.7 }),
      stream({ window: REFERENCE, n: 2000, seed: 101, hardShare: 0.25 }),
    );
    expect(alertsOf(r, 'drift_input').map((a) => a.key)).toEqual(
      expect.arrayContaining(['feature:approxTokens', 'feature:complexity']),
    );
    expect(alertsOf(r, 'drift_outcome').map((a) => a.key)).toContain('qa/small:escalation');
  });
});
