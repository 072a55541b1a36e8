/**
 * drift_input and drift_outcome on the prompts and confidences of a pair of sets, MMLU-like and
 * GSM8K-like, as cases a suite runs on its own copy of them: test/unit/monitors-drift.test.ts on
 * the synthetic sets, test/shared/drift-recorded.test.ts on the recorded cascades sets.
 * - structural features (src/request/router/features.ts): a move from one mix to another drifts, two
 *   halves of one sample do not;
 * - raw confidences (answer logprobs): llama3.1-8b's on two halves stay put; llama3.2-1b's under
 *   the same name shift.
 */
import { expect, it } from 'vitest';
import { computeReport } from '../../src/watch/monitors/compute-report';
import type { Report } from '../../src/watch/monitors/types';
import { ruleComplexity, structuralFeatures } from '../../src/request/router/features';
import { readRows } from '../helpers/rows';
import { config, REFERENCE, requestRow, rng, type Stream, WINDOW } from './monitors-fixtures';

const cfg = config();

function report(current: Stream, reference: Stream): Report {
  return computeReport(
    { current, retries: [], reference },
    { window: WINDOW, reference: reference.window, config: cfg },
  );
}
const alertsOf = (r: Report, m: string) => r.alerts.filter((a) => a.monitor === m);

/** The cases, inside the caller's describe; rows carry llama3.2-1b and llama3.1-8b outcomes. */
export function promptDriftCases(files: { mmlu: string; gsm8k: string }): void {
  /** Routed requests carrying the prompts' structural features (and a recorded confidence). */
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
    const mmlu = readRows(files.mmlu);
    const gsm8k = readRows(files.gsm8k);
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
    expect(a.evidence).toMatchObject({ n: gsm8k.length, referenceN: mmlu.length });
  });

  it('raw confidence: the same model on two halves stays; another model under its name shifts', () => {
    const mmlu = shuffled(readRows(files.mmlu), 2);
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
}
