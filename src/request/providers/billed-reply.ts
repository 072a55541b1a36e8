/**
 * The opening of every adapter's reply reader: the body must be a JSON object, and what the reply
 * bills is read before anything else in it, so that a reply malformed further in still reports
 * the tokens and cost it spent (MalformedResponseError carries them).
 */
import { MalformedResponseError } from './failure-class';
import { costUsd, type Pricing } from './cost';
import { type Usage } from './types';
import { describeValue, isObj, type Obj, parseHeaderList } from './reply-fields';

/** Response header in which an endpoint lists fields it derived rather than observed. */
export const DERIVED_HEADER = 'x-recorded-derived';

/** A reply's `usage` in the adapter's protocol, read; `missing` when the endpoint reported none. */
export type UsageReader = (raw: unknown) => { usage: Usage; missing: boolean };

export interface BilledReply {
  body: Obj;
  /** The fields derived rather than observed: the endpoint's DERIVED_HEADER, and `usage` when missing. */
  derived: Set<string>;
  usage: Usage;
  cost: number;
  /** What the error of a reply malformed further in carries. */
  billed: Usage & { costUsd: number };
}

export function billedReply(
  data: unknown,
  headers: Headers,
  readUsage: UsageReader,
  pricing: Pricing,
): BilledReply {
  if (!isObj(data)) {
    // The SDK hands back text for a non-JSON content type and undefined for an empty body.
    throw new MalformedResponseError(`body is not a JSON object (got ${describeValue(data)})`, 200);
  }
  const derived = new Set(parseHeaderList(headers.get(DERIVED_HEADER)));
  const read = readUsage(data['usage']);
  // Some local servers omit usage. Failing every call would make them unusable; reporting 0 as
  // if observed would hide the cost. So: tokens 0, and "usage" flagged as derived, which the
  // trace and ledger carry as "cost unknown" rather than "free".
  if (read.missing) derived.add('usage');
  const usage = read.usage;
  const cost = costUsd(usage, pricing);
  return { body: data, derived, usage, cost, billed: { ...usage, costUsd: cost } };
}
