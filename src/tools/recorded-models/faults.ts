/**
 * Fault injection for the recorded-model server: the transient failures a real provider produces
 * (429 with Retry-After, 500, a hung request, a reset connection, a truncated body, an empty
 * choice list), so the workflow's retry and escalation paths run against real HTTP behaviour.
 *
 * Which request fails is decided, in this order of precedence, by:
 *   1. the request header `x-recorded-fault: <kind|ok>` (+ `x-recorded-retry-after: <seconds>`);
 *   2. a script set by `POST /admin/faults` ({ model?, sequence }), consumed one step per request
 *      (a model's own script before the any-model one); `ok` serves normally;
 *   3. a seeded rate: `faultRate` of requests fail with a kind drawn from `faultKinds`.
 * A header does not consume a script step, and a scripted or header `ok` draws no rate fault.
 */
import { seededRandom } from '../../request/router/random';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';

export const FAULT_KINDS = ['429', '500', 'timeout', 'reset', 'malformed', 'empty'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** A step of an admin script: a fault, or `ok` for "serve this request normally". */
export type FaultStep = FaultKind | 'ok';

/** Rate faults default to the two transient errors every client must handle. */
export const DEFAULT_RATE_FAULT_KINDS: readonly FaultKind[] = ['429', '500'];

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

/** Parses a comma-separated list of kinds (the CLI's `--fault-kinds 429,500`). */
export function parseFaultKinds(list: string): FaultKind[] {
  const kinds = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = kinds.filter((k) => !isFaultKind(k));
  if (bad.length > 0 || kinds.length === 0) {
    throw new Error(
      `fault kinds must be a comma-separated list of ${FAULT_KINDS.join(', ')}; got ${JSON.stringify(list)}`,
    );
  }
  return kinds as FaultKind[];
}

/** Body of `POST /admin/faults`. */
export const faultScriptSchema = z
  .object({
    model: z.string().min(1).optional(),
    sequence: z.array(z.enum([...FAULT_KINDS, 'ok'])).min(1),
  })
  .strict();
export type FaultScript = z.infer<typeof faultScriptSchema>;

/** The fault PRNG is seeded, so a given seed and request order fail the same requests. */
export { seededRandom as mulberry32 } from '../../request/router/random';

export interface FaultInjectorOptions {
  faultRate?: number;
  faultKinds?: readonly FaultKind[];
  seed?: number;
}

export interface FaultDecision {
  kind: FaultKind;
  source: 'header' | 'script' | 'rate';
}

/** Key of the script that applies to every model. */
const ANY_MODEL = '*';

export class FaultInjector {
  private readonly rate: number;
  private readonly kinds: readonly FaultKind[];
  private readonly random: () => number;
  private readonly scriptsByModel = new Map<string, FaultStep[]>();

  constructor(opts: FaultInjectorOptions = {}) {
    this.rate = opts.faultRate ?? 0;
    if (!(this.rate >= 0 && this.rate <= 1))
      throw new Error(`faultRate must be in [0, 1], got ${opts.faultRate}`);
    this.kinds = opts.faultKinds ?? DEFAULT_RATE_FAULT_KINDS;
    if (this.kinds.length === 0 || !this.kinds.every((k) => isFaultKind(k))) {
      throw new Error(`faultKinds must be a non-empty list of ${FAULT_KINDS.join(', ')}`);
    }
    const seed = opts.seed ?? 1;
    if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    this.random = seededRandom(seed);
  }

  /** Replaces the script of `model` (or of every model when absent). */
  setScript(model: string | undefined, sequence: readonly FaultStep[]): void {
    this.scriptsByModel.set(model ?? ANY_MODEL, [...sequence]);
  }

  clearScripts(): void {
    this.scriptsByModel.clear();
  }

  /** Remaining steps per script, for `GET /admin/faults`. */
  scripts(): { model: string | null; remaining: FaultStep[] }[] {
    return [...this.scriptsByModel].map(([model, remaining]) => ({
      model: model === ANY_MODEL ? null : model,
      remaining: [...remaining],
    }));
  }

  /**
   * The fault for one request to `model`, or null to serve it. `header` is the already-validated
   * `x-recorded-fault` value. Consumes a script step or a random draw as described above.
   */
  decide(model: string, header: FaultStep | undefined): FaultDecision | null {
    if (header !== undefined) return header === 'ok' ? null : { kind: header, source: 'header' };
    const step = this.nextStep(model) ?? this.nextStep(ANY_MODEL);
    if (step !== undefined) return step === 'ok' ? null : { kind: step, source: 'script' };
    if (this.rate > 0 && this.random() < this.rate) {
      const kind = this.kinds[Math.floor(this.random() * this.kinds.length)] ?? this.kinds[0];
      if (kind !== undefined) return { kind, source: 'rate' };
    }
    return null;
  }

  private nextStep(key: string): FaultStep | undefined {
    const script = this.scriptsByModel.get(key);
    if (!script) return undefined;
    const step = script.shift();
    if (script.length === 0) this.scriptsByModel.delete(key);
    return step;
  }
}

export interface FaultResponseOptions {
  model: string;
  retryAfterSeconds: number;
  timeoutHangMs: number;
  /** Fires when the client goes away or the server shuts down. */
  signal: AbortSignal;
}

/**
 * A fault's bodies in the protocol of the route that injects it: the faults behave the same over
 * HTTP on every route (status, headers, a body cut in half, a dropped connection), with OpenAI's
 * bodies on the chat-completions route and Anthropic's on the Messages route (anthropic-route.ts).
 */
export interface FaultBodies {
  /** The 429's error body. */
  rateLimited: (model: string) => object;
  /** The 500's error body. */
  serverError: () => object;
  /** A reply whose JSON `malformed` sends the first half of. */
  cutOff: (model: string) => object;
  /** A reply with nothing generated (`empty`). */
  empty: (model: string) => object;
}

const OPENAI_FAULT_BODIES: FaultBodies = {
  rateLimited: (model) =>
    faultError(`Rate limit reached for ${model} (injected fault)`, 'requests', 'rate_limit_exceeded'),
  serverError: () =>
    faultError('The server had an error processing your request (injected fault)', 'server_error', null),
  cutOff: (model) => completionSkeleton(model, [{ index: 0, message: { role: 'assistant' } }]),
  empty: (model) => completionSkeleton(model, []),
};

/**
 * Produces the fault's raw HTTP behaviour and resolves with the outcome to count in metrics
 * (the status code, or `reset` / `timeout` when no response is written).
 */
export async function respondWithFault(
  kind: FaultKind,
  request: FastifyRequest,
  reply: FastifyReply,
  opts: FaultResponseOptions,
  bodies: FaultBodies = OPENAI_FAULT_BODIES,
): Promise<string> {
  switch (kind) {
    case '429':
      await reply
        .code(429)
        .header('retry-after', String(opts.retryAfterSeconds))
        .header('x-recorded-fault', kind)
        .send(bodies.rateLimited(opts.model));
      return '429';
    case '500':
      await reply.code(500).header('x-recorded-fault', kind).send(bodies.serverError());
      return '500';
    case 'malformed': {
      // A body cut off mid-way: valid HTTP, content-type JSON, unparseable content.
      const whole = JSON.stringify(bodies.cutOff(opts.model));
      await reply
        .code(200)
        .header('content-type', 'application/json')
        .header('x-recorded-fault', kind)
        .send(whole.slice(0, Math.floor(whole.length / 2)));
      return '200';
    }
    case 'empty':
      // Nothing was generated, so there is no recorded usage to report: zeros, flagged as derived.
      await reply
        .code(200)
        .header('x-recorded-fault', kind)
        .header('x-recorded-derived', 'usage')
        .send(bodies.empty(opts.model));
      return '200';
    case 'reset':
      reply.hijack();
      destroySocket(request);
      return 'reset';
    case 'timeout':
      // Accept the request and never answer: wait until the client gives up (or the server
      // closes), or at most timeoutHangMs, then drop the connection without a response.
      reply.hijack();
      try {
        await sleep(opts.timeoutHangMs, undefined, { signal: opts.signal });
      } catch {
        // aborted: the client went away first
      }
      destroySocket(request);
      return 'timeout';
  }
}

function destroySocket(request: FastifyRequest): void {
  const socket = request.raw.socket;
  // An RST rather than a FIN, so the client sees ECONNRESET as with a real reset connection.
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
  else socket.destroy();
}

function faultError(message: string, type: string, code: string | null): object {
  return { error: { message, type, param: null, code } };
}

function completionSkeleton(model: string, choices: object[]): object {
  return {
    id: `chatcmpl-recorded-fault-${Date.now().toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices,
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}
