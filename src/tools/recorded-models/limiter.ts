/**
 * Per-model FIFO concurrency limit, so that queues really form behind a slow model (what the
 * latency-budget route reads) instead of every request being served in parallel.
 */

export type Release = () => void;

/** Thrown by `acquire` when the request's signal fires while it is still waiting for a slot. */
export class QueueAbortedError extends Error {
  constructor(model: string) {
    super(`request for ${model} left the queue before getting a slot`);
    this.name = 'QueueAbortedError';
  }
}

interface Waiter {
  grant: (release: Release) => void;
}

interface Lane {
  limit: number;
  inFlight: number;
  queue: Waiter[];
}

export class ConcurrencyLimiter {
  private readonly lanes = new Map<string, Lane>();

  /** `limitFor(model)` is asked once per model, the first time the model is seen. */
  constructor(private readonly limitFor: (model: string) => number) {}

  private lane(model: string): Lane {
    let lane = this.lanes.get(model);
    if (!lane) {
      const limit = this.limitFor(model);
      if (!Number.isInteger(limit) || limit < 1) {
        throw new Error(`concurrency for ${model} must be a positive integer, got ${limit}`);
      }
      lane = { limit, inFlight: 0, queue: [] };
      this.lanes.set(model, lane);
    }
    return lane;
  }

  /**
   * Resolves with a release function once the model has a free slot; waiters are served in
   * arrival order. If `signal` aborts while waiting (the client went away), the waiter leaves the
   * queue and the promise rejects with QueueAbortedError. Call the release exactly once; extra
   * calls are ignored so a slot is never freed twice.
   */
  acquire(model: string, signal?: AbortSignal): Promise<Release> {
    const lane = this.lane(model);
    if (signal?.aborted) return Promise.reject(new QueueAbortedError(model));
    if (lane.inFlight < lane.limit && lane.queue.length === 0) {
      lane.inFlight++;
      return Promise.resolve(this.releaser(lane));
    }
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        const at = lane.queue.indexOf(waiter);
        if (at >= 0) lane.queue.splice(at, 1);
        reject(new QueueAbortedError(model));
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      lane.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaser(lane: Lane): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = lane.queue.shift();
      // Hand the slot straight to the next waiter: in-flight stays the same, and no newcomer
      // can overtake the queue between release and grant.
      if (next) next.grant(this.releaser(lane));
      else lane.inFlight--;
    };
  }

  queueDepth(model: string): number {
    return this.lanes.get(model)?.queue.length ?? 0;
  }

  inFlight(model: string): number {
    return this.lanes.get(model)?.inFlight ?? 0;
  }

  /** Models that have been seen (have a lane). */
  models(): string[] {
    return [...this.lanes.keys()];
  }
}
