/**
 * bench/routing: offline replay of recorded outcomes through the SAME policy code the workflow
 * runs (src/request/router/rung-decision.ts via src/tools/calibrate/simulate.ts; the classifier's
 * predictions through the classify activity's own `decide`, src/request/router/decide.ts, on the artefact
 * as a worker loads it), to say whether routing decisions are good: calibrate on one part of a
 * labelled set, replay the other part.
 *
 * Per set, methods fitted on the same calibration part and replayed on the same test part;
 * quality and cost are always relative to the family's largest model (the reference):
 *   ltt                 `cascade calibrate --candidates <the family>`: the ladder (any cheapest-first
 *                       subset of the family, up to --max-rungs, a single cheaper model included),
 *                       thresholds and skip points chosen under the learn-then-test guarantee
 *                       (src/tools/calibrate/fit.ts, select.ts, guarantee.ts): the new default;
 *   ltt-2rung           the same guarantee on the fixed two-rung ladder (`--ladder small,large`);
 *   bounded             the earlier `cascade calibrate` on the two-rung ladder: percentile-bootstrap
 *                       bound computed on the rows it was fitted on (bench/lib/legacy-bounded.ts);
 *   point-estimate      the usual practice on the two-rung ladder: one threshold tuned so that the
 *                       point estimate of relative quality reaches the target;
 *   point-estimate+m    the same tuned to target + m (m in points, --margins).
 * Reported on the test part: relative quality, relative cost (double costs and self-checks
 * included), escalation and skip rates, whether the target held; over --repeats R splits (seeds
 * seed..seed+R-1), how often it held and the mean cost. For sets without confidences (RouteLLM:
 * only `correct` per model) the policies are the pre-route classifier's, and RouteLLM's router
 * metrics of the classifier's score on the test part are added: APGR, CPT(50%), CPT(80%), for the
 * classifier trained on the whole calibration part (`classifier`) and for the one the guarantee
 * deploys (trained on the fit part only: `classifier (fit part)`), beside rules-v1 and a random
 * router.
 *
 *   npm run bench:routing -- --repeats 20                   # every cascades set + both RouteLLM sets
 *   npm run bench:routing -- --train a.jsonl --test b.jsonl --candidates a,b,c --ladder a,c [--json]
 *   npm run bench:routing -- --methods ltt,point-estimate --margins none
 */
import { parseRoutingOptions } from './lib/routing-options';
import { formatReport } from './lib/routing-report';
import type { BenchResult } from './lib/routing-results';
import { runSet } from './lib/routing-run';

export type { BenchResult } from './lib/routing-results';

function main(): number {
  const o = parseRoutingOptions(process.argv.slice(2));
  if (typeof o === 'number') return o;
  const started = Date.now();
  const results: BenchResult[] = [];
  const warnings = new Set<string>();
  for (let f = 0; f < o.trainFiles.length; f++) {
    const set = runSet(o, o.trainFiles[f]!, o.testFiles[f], warnings, started);
    if (typeof set === 'number') return set;
    results.push(...set);
  }
  process.stdout.write(o.json ? JSON.stringify(results) + '\n' : formatReport(results, o, warnings, started));
  return 0;
}

process.exitCode = main();
