/**
 * What a call cost, from the configured prices. Prices are USD per million tokens, as providers
 * publish them; input (prompt) and output (completion) tokens are priced separately.
 */
import { type ModelConfig } from '../config/schema';
import { type Usage } from './types';

export type Pricing = ModelConfig['pricing'];

const PER_MILLION = 1_000_000;

/**
 * Cost of one call in USD. Not rounded: per-request costs are summed across calls and requests,
 * and rounding each term would bias the totals (a 1-token call costs fractions of a micro-dollar).
 */
export function costUsd(usage: Usage, pricing: Pricing): number {
  return (usage.tokensIn * pricing.inputPerMTok + usage.tokensOut * pricing.outputPerMTok) / PER_MILLION;
}
