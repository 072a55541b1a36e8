/**
 * The volume behind question (a): this task's share of the monthly tokens, as requests, and what
 * they cost served all on the large model or all on the small one. A routed policy's saving is a
 * fraction of the first (src/tools/advise/questions/routes.ts); break-even weighs it (./spend.ts).
 */
import type { TaskContext } from './context';

export interface Volume {
  tokenShare: number;
  monthlyTokens: number;
  tokensPerRequest: number;
  requestsPerMonth: number;
  staticLargeUsdMonth: number;
  staticSmallUsdMonth: number;
}

export function taskVolume(c: TaskContext, tokenShare: number): Volume {
  const monthlyTokens = c.opts.monthlyTokens * tokenShare;
  const tokensPerRequest = c.ev.tokensPerRequest > 0 ? c.ev.tokensPerRequest : 1;
  const requestsPerMonth = monthlyTokens / tokensPerRequest;
  return {
    tokenShare,
    monthlyTokens,
    tokensPerRequest,
    requestsPerMonth,
    staticLargeUsdMonth: requestsPerMonth * c.largeM.meanCostUsd,
    staticSmallUsdMonth: requestsPerMonth * c.smallM.meanCostUsd,
  };
}
