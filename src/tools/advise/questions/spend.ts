/**
 * Question (a): spend vs break-even. The best routed policy's net saving per million tokens against
 * the router's fixed cost (--router-cost-usd-month) gives the monthly volume where routing starts to
 * pay; without that cost, the field report's 5-10M tokens/month band stands in for it.
 */
import { fmtTokens, pct, usd } from '../text';
import type { TaskAdvice } from '../types';
import type { TaskContext } from './context';
import type { BestRoute } from './routes';
import type { Volume } from './volume';

type Spend = TaskAdvice['spend'];

/** The router's fixed cost attributed to this task (by token share), and the volumes that cover it. */
function breakEven(c: TaskContext, v: Volume, best: BestRoute | null) {
  const { opts } = c;
  const perMTok = (x: number | null) =>
    x === null || v.monthlyTokens <= 0 ? null : (x / v.monthlyTokens) * 1e6;
  const routedSavingPerMTokUsd = perMTok(best ? best.netUsdMonth : null);
  const tokensMonth = (perM: number | null) =>
    opts.routerCostUsdMonth === undefined || perM === null
      ? null
      : perM <= 0
        ? Infinity
        : (opts.routerCostUsdMonth / perM) * 1e6;
  return {
    routerCostShareUsdMonth:
      opts.routerCostUsdMonth !== undefined ? opts.routerCostUsdMonth * v.tokenShare : null,
    routedSavingPerMTokUsd,
    breakEvenTokensMonth: tokensMonth(routedSavingPerMTokUsd),
    breakEvenTokensMonthHigh: tokensMonth(perMTok(best ? best.netIntervalUsdMonth[0] : null)),
  };
}

function spendVerdict(
  c: TaskContext,
  best: BestRoute | null,
  be: Pick<Spend, 'breakEvenTokensMonth' | 'breakEvenTokensMonthHigh'>,
): Spend['verdict'] {
  const { monthlyTokens } = c.opts;
  const { breakEvenTokensMonth, breakEvenTokensMonthHigh } = be;
  return best === null || best.netUsdMonth <= 0
    ? 'never'
    : breakEvenTokensMonth !== null
      ? monthlyTokens >= (breakEvenTokensMonthHigh ?? breakEvenTokensMonth)
        ? 'above'
        : monthlyTokens >= breakEvenTokensMonth
          ? 'within-band'
          : 'below'
      : monthlyTokens >= c.band[1]
        ? 'above'
        : monthlyTokens >= c.band[0]
          ? 'within-band'
          : 'below';
}

function spendNote(
  c: TaskContext,
  v: Volume,
  s: Pick<Spend, 'verdict' | 'breakEvenTokensMonth' | 'breakEvenTokensMonthHigh' | 'routedSavingPerMTokUsd'>,
): string {
  const { opts, band, small, large } = c;
  const { verdict, breakEvenTokensMonth, breakEvenTokensMonthHigh } = s;
  return (
    `${fmtTokens(opts.monthlyTokens)} tokens/month in all, ${fmtTokens(v.monthlyTokens)} of them this task's (${pct(v.tokenShare)} of the sample's tokens): ` +
    `${usd(v.staticLargeUsdMonth)}/month all on ${large}, ${usd(v.staticSmallUsdMonth)} all on ${small}; ` +
    (verdict === 'never'
      ? 'no routed policy saves money here, at any volume'
      : breakEvenTokensMonth !== null
        ? `break-even ${fmtTokens(breakEvenTokensMonth)}${breakEvenTokensMonthHigh !== null && breakEvenTokensMonthHigh !== breakEvenTokensMonth ? `-${fmtTokens(breakEvenTokensMonthHigh)}` : ''} tokens/month for a router costing ${usd(opts.routerCostUsdMonth!)}/month (saving ${usd(s.routedSavingPerMTokUsd!)} per million tokens): ${verdict}`
        : `against the field report's break-even band of ${fmtTokens(band[0])}-${fmtTokens(band[1])} tokens/month: ${verdict}`)
  );
}

export function spendQuestion(c: TaskContext, v: Volume, best: BestRoute | null): Spend {
  const be = breakEven(c, v, best);
  const verdict = spendVerdict(c, best, be);
  const extraActions = best ? best.candidate.extraActions : null;
  return {
    tokenShare: v.tokenShare,
    monthlyTokens: v.monthlyTokens,
    requestsPerMonth: v.requestsPerMonth,
    tokensPerRequest: v.tokensPerRequest,
    staticLargeUsdMonth: v.staticLargeUsdMonth,
    staticSmallUsdMonth: v.staticSmallUsdMonth,
    extraActionsPerRequest: extraActions,
    orchestrationExtraUsdMonth:
      extraActions !== null ? extraActions * c.ev.costPerAction * v.requestsPerMonth : null,
    routerCostShareUsdMonth: be.routerCostShareUsdMonth,
    routedSavingPerMTokUsd: be.routedSavingPerMTokUsd,
    breakEvenTokensMonth: be.breakEvenTokensMonth,
    breakEvenTokensMonthHigh: be.breakEvenTokensMonthHigh,
    breakEvenBand: c.band,
    verdict,
    note: spendNote(c, v, { ...be, verdict }),
  };
}
