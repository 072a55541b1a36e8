/**
 * drift_input and drift_outcome on recorded and synthetic rows:
 * - LLMDrift's (data/llmdrift, Apache-2.0, shipped) 1000 "is N prime?" questions answered by gpt-4-0314 (84% correct) and gpt-4-0613
 *   (50%), both served as "gpt-4": the snapshot change must show as an accuracy drift; the same
 *   snapshot on two halves of the questions must not. Likewise gpt-3.5-turbo-0301 -> -0613 (up).
 * - The structural features of prompts (MMLU-like, GSM8K-like; src/request/router/features.ts): a move
 *   from one mix to another drifts, two halves of one sample do not.
 * - The raw confidences of models (MMLU-like, answer logprobs): llama3.1-8b's confidences on two
 *   halves stay put; llama3.2-1b's under the same name shift.
 *   Both on the synthetic sets here (./prompt-drift-cases.ts), and on the recorded cascades sets
 *   in test/shared/drift-recorded.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FeedbackRow, PurposeCost, RequestRow } from '../../src/request/ledger/types';
import { computeReport } from '../../src/watch/monitors/compute-report';
import type { Report } from '../../src/watch/monitors/types';
import { shippedData } from '../helpers/data';
import { readRows } from '../helpers/rows';
import { config, REFERENCE, requestRow, stream, WINDOW, type Stream } from './monitors-fixtures';
import { promptDriftCases } from './prompt-drift-cases';

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
      estimatedAttempts: 0,
      estimatedCostUsd: 0,
      costUsd: 0,
      tokensIn: 30,
      tokensOut,
    });
  });
  return { window, requests, feedback, calls, retries: [] };
}

describe('drift on real rows (LLMDrift, shipped in data/llmdrift)', () => {
  const prime = () => readRows(shippedData('llmdrift/prime.jsonl')) as unknown as PrimeRow[];
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
});

describe('drift of prompts and confidences (synthetic MMLU-like and GSM8K-like sets)', () => {
  promptDriftCases({
    mmlu: shippedData('synthetic/mmlu_llama.jsonl'),
    gsm8k: shippedData('synthetic/gsm8k_llama.jsonl'),
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
