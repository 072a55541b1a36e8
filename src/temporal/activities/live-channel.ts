/**
 * The in-process channel between a model call that streams its answer and the gateway request
 * waiting for it (issue #17, docs/gateway.md "Streaming"), keyed by workflow id.
 *
 * The gateway subscribes before it starts the request's workflow, with the policy snapshot it
 * starts it with. The model-call activity, for an answer call, asks for a sink: it gets one only
 * when this process holds a subscriber for its workflow and the shared rule
 * (src/request/router/live-stream.ts `servedAsIs`) says the rung's answer is served as it is; it then
 * calls its provider streaming and hands each piece of text to the sink as it arrives. No
 * subscriber (the gateway in another process, a request that did not ask for a stream, a
 * `CascadeClient` caller): no sink, and the call is made exactly as without this channel.
 *
 * Nothing here is recorded or durable: it is a view of a call in flight, the workflow's history
 * and trace stay the record (the activity returns the same result either way).
 *
 * One subscription streams at most one attempt's text to its caller:
 *
 *   waiting --open--> streaming --done--> done
 *                         |--failed, nothing delivered--> waiting (a retry may stream)
 *                         '--failed after text was delivered--> broken (nothing streams again)
 *
 * so text the caller has seen is never followed by another attempt's text (no duplicates): a
 * call cut off mid-stream ends the caller's stream with an error, and the workflow's retry runs
 * unstreamed. Listeners' exceptions are swallowed: a subscriber can never fail a model call.
 */
import { servedAsIs, type LiveRequest } from '../../request/router/live-stream';
import type { PolicySnapshot } from '../../request/router/policy';
import type { CallerParams, ChatMessage } from '../../request/providers/types';

/** What an answer call is sent of its request: the call streams only to a subscriber that asked that. */
export interface LiveCallRequest {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  params?: CallerParams;
}

function fingerprint(r: LiveCallRequest): string {
  return JSON.stringify([r.messages, r.maxTokens ?? null, r.temperature ?? null, r.params ?? null]);
}

/** The answer call a sink streams. */
export interface LiveCall {
  rung: number;
  /** The configured model id. */
  model: string;
  attempt: number;
}

export interface LiveListener {
  /** A piece of the answer (never empty), in order; `call` is the attempt producing it. */
  delta(text: string, call: LiveCall): void;
  /**
   * The attempt whose text was delivered failed: its answer will never be complete. `reason` is
   * what broke, by class (`connection`, `timeout`, `cancelled`, ...): no provider message.
   */
  broken(reason: string, call: LiveCall): void;
}

export type LiveState = 'waiting' | 'streaming' | 'done' | 'broken' | 'closed';

export interface LiveSubscription {
  readonly workflowId: string;
  readonly state: LiveState;
  /** Every piece delivered so far, concatenated. */
  readonly text: string;
  /** The attempt that streamed (or is streaming), once one has. */
  readonly call: LiveCall | null;
  /** Stop listening (idempotent): a sink still open becomes a no-op. */
  close(): void;
}

/** What the activity streams into. Calls after the subscription ended are no-ops. */
export interface LiveSink {
  delta(text: string): void;
  done(): void;
  /** The call failed; `reason` by class only (it may reach the caller). */
  failed(reason: string): void;
}

interface Subscription extends LiveSubscription {
  state: LiveState;
  text: string;
  call: LiveCall | null;
  policy: PolicySnapshot;
  request: LiveRequest;
  /** The request's answer calls as the workflow sends them (fingerprint). */
  asked: string;
  listener: LiveListener;
  /** The sink of the attempt streaming now (identity: a sink of an earlier attempt is dead). */
  owner: object | null;
}

export class LiveChannels {
  private readonly subs = new Map<string, Subscription>();

  /**
   * Listen for the answer of `workflowId`, whose workflow runs with `policy`. Null when another
   * request of this process already listens for it (a concurrent repeat of the same id): that one
   * streams, this one gets the answer after the check.
   */
  subscribe(
    workflowId: string,
    spec: { policy: PolicySnapshot; request: LiveRequest & LiveCallRequest; listener: LiveListener },
  ): LiveSubscription | null {
    if (this.subs.has(workflowId)) return null;
    const subs = this.subs;
    const sub: Subscription = {
      workflowId,
      state: 'waiting',
      text: '',
      call: null,
      policy: spec.policy,
      request: spec.request,
      asked: fingerprint(spec.request),
      listener: spec.listener,
      owner: null,
      close() {
        if (subs.get(workflowId) === sub) subs.delete(workflowId);
        sub.state = 'closed';
      },
    };
    subs.set(workflowId, sub);
    return sub;
  }

  /**
   * The activity side: a sink for answer call `call` of `workflowId`, sent `request`, or null (no
   * subscriber here, an attempt already streamed to it, the rung's answer may still be overruled,
   * or the call is not the request the subscriber sent: another body under the same id).
   */
  open(workflowId: string, call: LiveCall, request: LiveCallRequest): LiveSink | null {
    const sub = this.subs.get(workflowId);
    if (!sub || sub.state !== 'waiting') return null;
    if (sub.policy.rungs[call.rung]?.model !== call.model) return null;
    if (fingerprint(request) !== sub.asked) return null;
    if (!servedAsIs(sub.policy, sub.request, call.rung)) return null;
    const owner = {};
    sub.state = 'streaming';
    sub.call = { ...call };
    sub.owner = owner;
    const live = () => sub.state === 'streaming' && sub.owner === owner;
    return {
      delta(text) {
        if (!live() || text === '') return;
        sub.text += text;
        quietly(() => sub.listener.delta(text, sub.call!));
      },
      done() {
        if (live()) sub.state = 'done';
      },
      failed(reason) {
        if (!live()) return;
        if (sub.text === '') {
          // Nothing reached the caller: as if this attempt had not streamed.
          sub.state = 'waiting';
          sub.call = null;
          sub.owner = null;
          return;
        }
        sub.state = 'broken';
        quietly(() => sub.listener.broken(reason, sub.call!));
      },
    };
  }

  /** Requests of this process listening now (tests check nothing is left behind). */
  get size(): number {
    return this.subs.size;
  }
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // A subscriber's failure is its own (a client gone, a write on a closed socket).
  }
}

/**
 * The process's channel: the worker's model calls and the gateway of the same process meet here
 * (`cascade gateway` with its worker, `cascade dev`).
 */
export const liveChannels = new LiveChannels();
