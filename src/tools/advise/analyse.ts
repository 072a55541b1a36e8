/**
 * The field report's five questions, answered per task type with figures, and a recommendation:
 *
 *   (a) spend vs break-even        (b) labelled data, and whether it calibrates with the guarantee
 *   (c) bimodality                 (d) structural validation       (e) latency under load
 *
 * Pure: evidence in (src/tools/advise/evidence.ts), advice out. One file a question under
 * src/tools/advise/questions/, the recommendation in ./recommend.ts; docs/advise.md says how each figure
 * is computed.
 */
import type { TaskEvidence } from './evidence';
import { bimodalityQuestion } from './questions/bimodality';
import { taskContext } from './questions/context';
import { labelledQuestion } from './questions/labelled';
import { latencyQuestion } from './questions/latency';
import { bestRoute, routedCandidates } from './questions/routes';
import { spendQuestion } from './questions/spend';
import { structuralQuestion } from './questions/structural';
import { taskVolume } from './questions/volume';
import { recommend } from './recommend';
import type { AdviseOptions, TaskAdvice } from './types';

// What the command (src/cli/commands/advise.ts) and the tests import from here.
export type { AdviseOptions, TaskAdvice } from './types';
export { auc } from './questions/bimodality';
export { fixedRulePolicy } from './fixed-rule';

export function adviseTask(ev: TaskEvidence, opts: AdviseOptions, tokenShare: number): TaskAdvice {
  const c = taskContext(ev, opts);
  const volume = taskVolume(c, tokenShare);
  const labelled = labelledQuestion(c);
  const bimodality = bimodalityQuestion(c, labelled);
  const structural = structuralQuestion(c, labelled.labelledOk);
  const latency = latencyQuestion(opts.loadtest ?? null);
  // (a) comes last: break-even weighs the best routed policy the other answers confirm.
  const best = bestRoute(routedCandidates(c, labelled, structural), volume, ev.costPerAction);
  const spend = spendQuestion(c, volume, best);
  return {
    task: ev.task,
    source: `${ev.source}: ${ev.from.join(', ')}`,
    requests: ev.requests,
    small: ev.small,
    large: ev.large,
    models: ev.models,
    spend,
    labelled: labelled.answer,
    bimodality,
    structural: structural.answer,
    latency,
    recommendation: recommend(c, { labelled, latency, spend, best }),
    fit: labelled.fit,
  };
}

/** Every task of the evidence, the monthly tokens split by each task's share of the sample's tokens. */
export function advise(evidence: readonly TaskEvidence[], opts: AdviseOptions): TaskAdvice[] {
  const weight = evidence.map((e) => e.requests * e.tokensPerRequest);
  const total = weight.reduce((a, b) => a + b, 0) || 1;
  return evidence.map((e, i) => adviseTask(e, opts, weight[i]! / total));
}
