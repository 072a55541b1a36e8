/**
 * Does the guarantee hold? Measured on the recorded cascades sets of ../shared/data: a test that
 * FAILS when the guarantee is broken.
 *
 * The promise (docs/calibration.md): with probability >= 1 - delta over the labelled sample, the
 * deployed policy's accuracy is >= target x the reference's, on traffic exchangeable with the
 * sample. To check that, the traffic's true quality must be known exactly, so each recorded set
 * is taken as the POPULATION: a calibration sample is drawn from it i.i.d. (with replacement, the
 * set's own size, seeded), `cascade calibrate --candidates`'s fit chooses a policy on the sample
 * (its own fit/test split inside), and the policy's relative quality is computed on the whole set
 * (the held-out "test" is the population itself, with no sampling noise of its own). Over 200
 * seeded samples (50 per set on the four gpt-4o sets, where the guarantee has room to route), the
 * target must fail on at most delta of them up to binomial noise: a one-sided binomial test at the
 * 1% level must not reject "failure rate <= delta". The same pipeline with the test replaced by
 * the plain point estimate (accept a policy when its test-part estimate reaches the target: the
 * fixture of a broken guarantee) must fail the same check. And the guarantee must not be vacuous:
 * it routes (deploys a policy cheaper than the reference alone) on a good share of the samples.
 *
 * Runtime: about 15 s (no classifier: thresholds and ladders only, the candidates of the gpt-4o
 * family; 300 fits).
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { pricesFromConfig, readLabelledData } from '../../src/tools/calibrate/labelled-data';
import { loadConfig } from '../../src/request/config-file/load';
import {
  fitCascadeCalibration,
  type FitOptions,
  type LabelledRow,
  policyOfArtefact,
} from '../../src/tools/calibrate/fit';
import { binomialCdf } from '../../src/tools/calibrate/guarantee';
import { replayRequest } from '../../src/tools/calibrate/simulate';
import { seededRandom } from '../../src/request/router/random';
import { sharedDataPath } from '../helpers/shared-data';
import { describeShared } from '../helpers/shared-suite';

const TARGET = 0.97;
const DELTA = 0.05;
const CANDIDATES = ['gpt-4o-mini', 'qwen2.5-32b-coder-instruct', 'qwen2.5-72b-instruct', 'gpt-4o'];
const REFERENCE = 'gpt-4o';
const SETS = ['mmlu_qwen', 'triviaqa_qwen', 'gsm8k_qwen', 'medmcqa_qwen'];

/** P(Binomial(n, p) >= k). */
const upperTail = (k: number, n: number, p: number) => (k <= 0 ? 1 : 1 - binomialCdf(k - 1, n, p));

/** The plain point estimate in place of the exact test: the broken guarantee. */
const pointEstimate: FitOptions['pValue'] = (c, t) =>
  c.wins + c.bothRight >= t * (c.losses + c.bothRight) ? 0 : 1;

interface Check {
  samples: number;
  failures: number;
  routed: number;
  meanCost: number;
}

function check(populations: LabelledRow[][], perSet: number, pValue?: FitOptions['pValue']): Check {
  let samples = 0;
  let failures = 0;
  let routed = 0;
  let cost = 0;
  populations.forEach((pop, s) => {
    for (let k = 0; k < perSet; k++) {
      const seed = 1000 * (s + 1) + k;
      const rnd = seededRandom(seed * 2654435761);
      const sample = Array.from({ length: pop.length }, () => pop[Math.floor(rnd() * pop.length)]!);
      const { artefact } = fitCascadeCalibration(sample, {
        candidates: CANDIDATES,
        target: TARGET,
        confidence: 1 - DELTA,
        classifier: false,
        seed,
        resamples: 20,
        ...(pValue ? { pValue } : {}),
      });
      // The deployed policy on the population: its true relative quality and cost.
      const policy = policyOfArtefact(artefact);
      let right = 0;
      let refRight = 0;
      let spent = 0;
      let refSpent = 0;
      for (const r of pop) {
        const res = replayRequest(policy, {
          outcomes: artefact.ladder.map((m) => r.outcomes[m]!),
          predicted: artefact.ladder.map(() => null),
        });
        right += res.correct ? 1 : 0;
        spent += res.costUsd;
        refRight += r.outcomes[REFERENCE]!.correct ? 1 : 0;
        refSpent += r.outcomes[REFERENCE]!.answerCostUsd;
      }
      samples++;
      if (right / refRight < TARGET) failures++;
      if (spent / refSpent < 1) routed++;
      cost += spent / refSpent;
    }
  });
  return { samples, failures, routed, meanCost: cost / samples };
}

describeShared('the learn-then-test guarantee on the recorded gpt-4o sets', () => {
  let populations: LabelledRow[][];
  const load = () => {
    if (populations) return populations;
    const prices = {
      ...pricesFromConfig(loadConfig(path.resolve(__dirname, '../../cascade.config.yaml')).config.models),
      'qwen2.5-32b-coder-instruct': { inputPerMTok: 0.8, outputPerMTok: 0.8 },
    };
    populations = SETS.map(
      (set) => readLabelledData([sharedDataPath(`cascades/${set}_train.jsonl`)], CANDIDATES, prices).rows,
    );
    return populations;
  };

  it('holds on at least 1 - delta of 200 seeded calibration samples (one-sided binomial test), and routes', () => {
    const r = check(load(), 50);
    console.log(
      `guarantee: the target failed on ${r.failures}/${r.samples} samples (delta ${DELTA}); ` +
        `routed on ${r.routed}, mean cost ${(r.meanCost * 100).toFixed(1)}% of ${REFERENCE}`,
    );
    expect(r.samples).toBe(200);
    // Not significantly more failures than delta allows (1% level).
    expect(upperTail(r.failures, r.samples, DELTA)).toBeGreaterThan(0.01);
    // Not vacuous: it deploys something cheaper than the reference on many samples.
    expect(r.routed).toBeGreaterThan(0.3 * r.samples);
  });

  it('the point-estimate variant (the test replaced by the estimate) fails the same check', () => {
    const r = check(load(), 25, pointEstimate);
    console.log(
      `point estimate: the target failed on ${r.failures}/${r.samples} samples; mean cost ${(r.meanCost * 100).toFixed(1)}%`,
    );
    expect(r.samples).toBe(100);
    expect(upperTail(r.failures, r.samples, DELTA)).toBeLessThan(0.01);
  });
});
