/**
 * `cascade advise` on labelled sets, as cases a suite runs on its own copy of the sets: the unit
 * test on the synthetic sets (data/synthetic) and test/shared/ on the recorded cascades sets: a
 * calibrated cascade where the guarantee (`cascade calibrate --candidates`'s own fit: the ladder
 * chosen among every labelled model) confirms one that saves money, a cheaper model alone where it
 * confirms that, static where nothing is confirmed, static below break-even; with the figures
 * behind each. Which set shows which answer is the caller's (`AdviseSets`): the guarantee decides
 * from the rows, and the synthetic sets are not the recorded ones.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import YAML from 'yaml';
import { advise, fixedRulePolicy } from '../../src/tools/advise/analyse';
import { evidenceFromLabelled } from '../../src/tools/advise/evidence';
import { formatMarkdown, formatSnippet } from '../../src/tools/advise/format';
import { pricesFromConfig } from '../../src/tools/calibrate/labelled-data';
import { loadConfig } from '../../src/request/config-file/load';

const prices = pricesFromConfig(
  loadConfig(path.resolve(__dirname, '../../cascade.config.yaml')).config.models,
);
const base = { target: 0.97, confidence: 0.95, classifier: false, resamples: 500 };
const evOpts = { prices, schemas: {}, costPerAction: 0.000025 };

export interface AdviseSets {
  /** Sets where a calibrated cascade is confirmed and saves money (`[set, small, large]`). */
  cascade: [string, string, string][];
  /** A set where one cheaper model alone is confirmed, at that target and confidence; none: skipped. */
  cheaperAlone?: { set: string; ladder: [string, string]; target: number; confidence: number; model: RegExp };
  /** A set where nothing is confirmed (`[set, small, large]`). */
  nothing: [string, string, string];
}

/** The cases, inside the caller's describe. `file` maps a set's name (`mmlu_qwen`, ...) to its file. */
export function adviseOnLabelledSets(file: (set: string) => string, sets: AdviseSets): void {
  it('recommends a calibrated cascade where the guarantee confirms one that saves money', () => {
    for (const [set, small, large] of sets.cascade) {
      const ev = evidenceFromLabelled([file(set)], { ...evOpts, ladder: [small, large] });
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
      // The same fit as `cascade calibrate --candidates` over every labelled model.
      expect(a!.fit!.artefact.candidates).toEqual(ev[0]!.candidates);
      expect(a!.fit!.artefact.chosen.pValue).toBeLessThanOrEqual(0.05);
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
        tasks: Record<string, { route: string; calibration: string; rungs: { model: string }[] }>;
      };
      expect(Object.values(snippet.tasks)[0]).toMatchObject({
        route: 'cascade',
        calibration: expect.stringContaining('calibration.json'),
        rungs: a!.fit!.artefact.ladder.map((model) => ({ model })),
      });
    }
  });

  const c = sets.cheaperAlone;
  if (c)
    it('recommends a cheaper model alone when the guarantee confirms it', () => {
      const opts = { ...base, target: c.target, confidence: c.confidence };
      const ev = evidenceFromLabelled([file(c.set)], { ...evOpts, ladder: c.ladder });
      const [a] = advise(ev, { ...opts, monthlyTokens: 200e6 });
      expect(a!.recommendation.kind).toBe('static-small');
      expect(a!.recommendation.model).toMatch(c.model);
      expect(a!.recommendation.reason).toMatch(
        /alone keeps .* \(guaranteed >= 95\.0% with 90\.0% confidence, exact bound/,
      );
      expect(a!.fit!.artefact.ladder).toEqual([a!.recommendation.model]);
      const chosen = a!.fit!.artefact.chosen;
      expect(chosen.lowerBound).toBeGreaterThanOrEqual(c.target);
      expect(a!.recommendation.monthlySavingUsd).toBeCloseTo(
        a!.spend.staticLargeUsdMonth * (1 - chosen.relativeCost),
        6,
      );
      // A fixed rule weighed on every row agrees that the model alone is cheaper than the large one.
      const alone = fixedRulePolicy(ev[0]!.candidateRows, a!.recommendation.model!, c.ladder[1], () => true, {
        confidence: c.confidence,
        resamples: 200,
        seed: 1,
      })!;
      expect(alone.relativeCost).toBeLessThan(1);
    });

  it('recommends static where the guarantee confirms nothing, and says why', () => {
    const [set, small, large] = sets.nothing;
    const ev = evidenceFromLabelled([file(set)], { ...evOpts, ladder: [small, large] });
    const [a] = advise(ev, { ...base, monthlyTokens: 200e6 });
    console.log(
      formatMarkdown([a!], { ...base, monthlyTokens: 200e6 })
        .split('\n')
        .filter((l) => /^\d\. |^\*\*Recommendation/.test(l))
        .join('\n'),
    );
    expect(a!.recommendation).toMatchObject({ kind: 'static-large', model: large, monthlySavingUsd: 0 });
    expect(a!.recommendation.reason).toMatch(/no policy could be guaranteed to keep 97\.0%/);
    expect(a!.labelled.clearsTarget).toBe(false);
    expect(a!.bimodality.verdict).toBe('everything-large');
    expect(a!.spend.verdict).toBe('never');
    expect(a!.bimodality.smallFails! + a!.bimodality.smallAsGood!).toBeCloseTo(1, 12);
    const snippet = YAML.parse(formatSnippet([a!], {}, base)) as { tasks: Record<string, unknown> };
    expect(Object.values(snippet.tasks)).toEqual([{ route: 'static', rungs: [{ model: large }] }]);
  });

  it('recommends static below break-even, from the band and from a stated router cost', () => {
    const [set, small, large] = sets.cascade[0]!;
    const ev = evidenceFromLabelled([file(set)], { ...evOpts, ladder: [small, large] });
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
