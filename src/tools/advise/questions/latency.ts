/**
 * Question (e): latency under load, from a `cascade loadtest --json` result: where the stack
 * saturates, what the router adds on top of the models, and whether the router itself became the
 * bottleneck.
 */
import type { LoadtestResult } from '../../loadtest/types';
import { ms } from '../text';
import type { TaskAdvice } from '../types';

export function latencyQuestion(lt: LoadtestResult | null): TaskAdvice['latency'] {
  if (!lt)
    return {
      given: false,
      saturationRate: null,
      sustainedRate: null,
      routerBottleneck: null,
      addedP95AtTopMs: null,
      note: 'no loadtest given (--loadtest FILE.json from `cascade loadtest`)',
    };
  const top = lt.steps[lt.steps.length - 1];
  return {
    given: true,
    saturationRate: lt.saturationRate,
    sustainedRate: lt.sustainedRate,
    routerBottleneck: lt.routerBottleneck,
    addedP95AtTopMs: top?.addedMs.p95 ?? null,
    note:
      (lt.saturationRate === null
        ? `held every tested rate up to ${top?.offeredRate ?? '-'} req/s`
        : `saturated at ${lt.saturationRate} req/s (held ${lt.sustainedRate ?? 'none'})`) +
      (lt.peak !== null ? ` against a stated peak of ${lt.peak} req/s (x${lt.multiplier})` : '') +
      `; added (non-model) p95 at the top rate ${ms(top?.addedMs.p95 ?? null)}` +
      (lt.routerBottleneck
        ? '; the router/orchestration became the bottleneck'
        : '; the router was not the bottleneck'),
  };
}
