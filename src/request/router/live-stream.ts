/**
 * Whether an answer may be streamed to the caller while the model produces it (issue #17): only
 * when nothing after the call can overrule it. ONE pure function, read from the policy snapshot
 * the request's workflow runs with, shared by the model-call activity (which streams a call only
 * when it says so, src/temporal/activities/call-model.ts) and the gateway (which subscribes to a request's
 * deltas only when some rung may qualify, src/doors/gateway/completions.ts).
 *
 * It states src/temporal/workflows/ladder.ts's and src/temporal/workflows/dispatch.ts's rule for when a rung's answer is
 * served as it is, once its call returns:
 *
 * - `static`: the one rung's answer is served (no check runs on this route);
 * - the last rung of a ladder: `decideRung` stands on it (nothing stronger to escalate to), so a
 *   pre-route that skips straight to the strongest model lands here too;
 * - `direct-small` without a schema, and a `cascade` rung without a confidence check: no check
 *   runs, the answer stands;
 * - `latency-budget`: no check runs on this route; the chosen candidate's answer is served.
 *
 * Never: a rung whose answer is checked before it stands (a confidence check that may escalate,
 * a response schema, tool calls checked against their tools), and a request whose caller asked
 * for logprobs (they ride on the checked answer's chunks: docs/gateway.md, "Streaming").
 * Self-checks, judges and shadow calls are never streamed (the activity streams `answer` calls
 * only). The gateway still compares what it streamed with the workflow's served answer at the
 * end and closes the stream with an error if they differ, so a drift between this rule and the
 * ladder could cost a stream, never serve an overruled answer as final.
 */
import type { CascadeRequestInput } from './cascade-input';
import type { PolicySnapshot } from './policy';

/** What of the request the rule reads (the rest of the request does not change it). */
export type LiveRequest = Pick<CascadeRequestInput, 'tools' | 'params'>;

/** Why no answer of this request can be streamed live, or null when some rung's may be. */
export function liveStreamBlocker(policy: PolicySnapshot, request: LiveRequest): string | null {
  if (policy.responseSchema !== null) return 'a response schema is checked before the answer stands';
  if (request.tools && request.tools.definitions.length > 0)
    return 'tool calls are checked against their tools before the answer stands';
  if (request.params?.logprobs === true) return 'the caller asked for logprobs';
  return null;
}

/** Whether rung `rung`'s answer is served as it is once its call returns (see above). */
export function servedAsIs(policy: PolicySnapshot, request: LiveRequest, rung: number): boolean {
  if (liveStreamBlocker(policy, request) !== null) return false;
  const rungs = policy.rungs;
  if (!Number.isInteger(rung) || rung < 0 || rung >= rungs.length) return false;
  switch (policy.route) {
    case 'static':
    case 'latency-budget':
    case 'direct-small':
      // No schema (above): no check runs on these routes.
      return true;
    case 'cascade':
      return rung === rungs.length - 1 || rungs[rung]!.confidence === null;
  }
}

/** Whether some rung of the request may stream live: the gateway subscribes only then. */
export function mayStreamLive(policy: PolicySnapshot, request: LiveRequest): boolean {
  return policy.rungs.some((_, i) => servedAsIs(policy, request, i));
}

/**
 * Whether the request has escalated by the time rung `rung` answers, when the policy alone says
 * so (the `x-cascade-escalated` header a live stream sends before the trace exists): the first
 * rung, no; a later rung of a ladder whose earlier rungs cannot be skipped by the pre-route, yes
 * (each of them answered and escalated, or failed). Null when it cannot be told in advance (a
 * skip rule, or the latency-budget route, whose choice reads live queues).
 */
export function escalatedBefore(policy: PolicySnapshot, rung: number): boolean | null {
  if (policy.route === 'latency-budget') return null;
  if (rung === 0) return false;
  return policy.rungs.slice(0, rung).every((r) => !r.skip) ? true : null;
}
