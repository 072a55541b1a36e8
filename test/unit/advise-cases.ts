/**
 * `cascade advise` on labelled sets, as cases a suite runs on its own copy of the sets: the unit
 * test on the synthetic sets (data/synthetic, made so these are the answers) and test/shared/ on
 * the recorded cascades sets they imitate (bench/README.md's routing section shows which route and
 * which do not): a calibrated cascade where it saves money at the target, a cheaper model alone
 * where it keeps the quality, static where no policy saves money, static below break-even; with
 * the figures behind each.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import YAML from 'yaml';
import { advise, bootstrapPolicy } from '../../src/advise/analyse';
import { evidenceFromLabelled } from '../../src/advise/evidence';
import { formatMarkdown, formatSnippet } from '../../src/advise/format';
import { pricesFromConfig } from '../../src/calibration/labelled-data';
import { loadConfig } from '../../src/config/load';

const prices = pricesFromConfig(
  loadConfig(path.resolve(__dirname, '../../cascade.config.yaml')).config.models,
);
const base = { target: 0.97, confidence: 0.95, classifier: false, resamples: 500 };
const evOpts = { prices, schemas: {}, costPerAction: 0.000025 };

/**
 * The cases, inside the caller's describe. `file` maps a set's name (`mmlu_qwen`,
 * `triviaqa_qwen`, `medmcqa_qwen`, `truthfulqa_llama`) to its file.
 */
export function adviseOnLabelledSets(file: (set: string) => string, mmluQwenRows: number): void {
  it('recommends a calibrated cascade where it saves money at the target (triviaqa_qwen, medmcqa_qwen)', () => {
    for (const set of ['triviaqa_qwen', 'medmcqa_qwen']) {
      const ev = evidenceFromLabelled([file(set)], { ...evOpts, ladder: ['gpt-4o-mini', 'gpt-4o'] });
      expect(ev).toHaveLength(1);
      const [a] = advise(ev, { ...base, monthlyTokens: 200e6 });
      const text = formatMarkdown([a!], { ...base, monthlyTokens: 200e6 });
      console.log(
        text
          .split('\n')
          .filter((l) => /^\d\. |^\*\*Recommendation/.test(l))
          .join('\n'),
      );
      expect(a!.recommendation.kind).toBe('calibrated-cascade');
      expect(a!.labelled.clearsTarget).toBe(true);
      expect(a!.labelled.chosen!.lowerBound).toBeGreaterThanOrEqual(0.97);
      expect(a!.labelled.chosen!.relativeCost).toBeLessThan(0.7);
      expect(a!.bimodality.verdict).toBe('bimodal');
      expect(a!.spend.verdict).toBe('above');
      // The saving: the large model's monthly spend times the savings fraction, less the added actions.
      const { staticLargeUsdMonth, orchestrationExtraUsdMonth } = a!.spend;
      expect(a!.recommendation.monthlySavingUsd).toBeCloseTo(
        staticLargeUsdMonth * (1 - a!.labelled.chosen!.relativeCost) - orchestrationExtraUsdMonth!,
        9,
      );
      const [lo, hi] = a!.recommendation.monthlySavingInterval!;
      expect(lo).toBeLessThanOrEqual(a!.recommendation.monthlySavingUsd!);
      expect(hi).toBeGreaterThanOrEqual(a!.recommendation.monthlySavingUsd!);
      expect(lo).toBeGreaterThan(0);
      const snippet = YAML.parse(formatSnippet([a!], {}, base)) as {
        tasks: Record<string, { route: string; calibration: string }>;
      };
      expect(Object.values(snippet.tasks)[0]).toMatchObject({
        route: 'cascade',
        calibration: expect.stringContaining('calibration.json'),
      });
    }
  });

  it('recommends a cheaper model alone when it matches the large one (mmlu_qwen: a qwen beats gpt-4o)', () => {
    const ev = evidenceFromLabelled([file('mmlu_qwen')], {
      ...evOpts,
      ladder: ['gpt-4o-mini', 'gpt-4o'],
    });
    const [a] = advise(ev, { ...base, monthlyTokens: 200e6 });
    // The ladder's cascade would save money (bound >= 97%)...
    expect(a!.labelled.clearsTarget).toBe(true);
    // ...but a model cheaper than gpt-4o keeps its quality alone, for less than the cascade costs.
    expect(a!.recommendation.kind).toBe('static-small');
    expect(a!.recommendation.model).toMatch(/^qwen2\.5-/);
    expect(a!.recommendation.reason).toMatch(
      /alone keeps .* \(bound .* >= 97\.0%\) at .* of its cost, less than the best cascade's/,
    );
    const rows = ev[0]!.staticRows;
    expect(rows).toHaveLength(mmluQwenRows);
    const alone = bootstrapPolicy(rows, a!.recommendation.model!, 'gpt-4o', () => true, {
      confidence: 0.95,
      resamples: 500,
      seed: 1,
    })!;
    expect(alone.lowerBound).toBeGreaterThanOrEqual(0.97);
    expect(alone.relativeCost).toBeLessThan(a!.labelled.chosen!.relativeCost);
    expect(a!.recommendation.monthlySavingUsd).toBeCloseTo(
      a!.spend.staticLargeUsdMonth * (1 - alone.relativeCost),
      6,
    );
  });

  it('recommends static where no policy saves money (truthfulqa_llama), and says why', () => {
    const ev = evidenceFromLabelled([file('truthfulqa_llama')], {
      ...evOpts,
      ladder: ['llama3.1-8b', 'llama3.1-405b'],
    });
    const [a] = advise(ev, { ...base, monthlyTokens: 200e6 });
    console.log(
      formatMarkdown([a!], { ...base, monthlyTokens: 200e6 })
        .split('\n')
        .filter((l) => /^\d\. |^\*\*Recommendation/.test(l))
        .join('\n'),
    );
    expect(a!.recommendation).toMatchObject({
      kind: 'static-large',
      model: 'llama3.1-405b',
      monthlySavingUsd: 0,
    });
    expect(a!.labelled.clearsTarget).toBe(false);
    expect(a!.bimodality.verdict).toBe('everything-large');
    expect(a!.spend.verdict).toBe('never');
    expect(a!.bimodality.smallFails! + a!.bimodality.smallAsGood!).toBeCloseTo(1, 12);
    const snippet = YAML.parse(formatSnippet([a!], {}, base)) as { tasks: Record<string, unknown> };
    expect(snippet.tasks).toEqual({ truthfulqa: { route: 'static', rungs: [{ model: 'llama3.1-405b' }] } });
  });

  it('recommends static below break-even, from the band and from a stated router cost', () => {
    const ev = evidenceFromLabelled([file('triviaqa_qwen')], {
      ...evOpts,
      ladder: ['gpt-4o-mini', 'gpt-4o'],
    });
    const [band] = advise(ev, { ...base, monthlyTokens: 2e6 });
    expect(band!.spend.verdict).toBe('below');
    expect(band!.recommendation.kind).toBe('static-large');
    expect(band!.recommendation.reason).toMatch(/break-even band/);
    // A stated router cost: break-even = cost / saving per token.
    const [costed] = advise(ev, { ...base, monthlyTokens: 50e6, routerCostUsdMonth: 1000 });
    expect(costed!.spend.breakEvenTokensMonth).toBeCloseTo(
      (1000 / costed!.spend.routedSavingPerMTokUsd!) * 1e6,
      3,
    );
    expect(costed!.spend.breakEvenTokensMonth!).toBeGreaterThan(50e6);
    expect(costed!.recommendation.kind).toBe('static-large');
    const [rich] = advise(ev, { ...base, monthlyTokens: 5e9, routerCostUsdMonth: 1000 });
    expect(rich!.recommendation.kind).toBe('calibrated-cascade');
    expect(rich!.recommendation.monthlySavingUsd).toBeCloseTo(
      rich!.spend.staticLargeUsdMonth * (1 - rich!.labelled.chosen!.relativeCost) -
        rich!.spend.orchestrationExtraUsdMonth! -
        1000,
      6,
    );
  });
}
