/**
 * A closed-loop load generator: `concurrency` callers, each starting its next request as soon as
 * its last one ends, until `count` requests have been started (or `stop()` says to stop). Each
 * request's latency is measured around the call alone, in milliseconds.
 */

export interface PoolSample<T> {
  index: number;
  latencyMs: number;
  /** The call's value, or undefined when it threw. */
  value?: T;
  error?: unknown;
}

export interface PoolResult<T> {
  samples: PoolSample<T>[];
  /** Wall time from the first request's start to the last one's end. */
  wallMs: number;
}

export async function runPool<T>(opts: {
  count: number;
  concurrency: number;
  /** The request: `index` runs 0..count-1, each exactly once. */
  call: (index: number) => Promise<T>;
  /** Checked before each new request; true ends the run early (Ctrl-C). */
  stop?: () => boolean;
}): Promise<PoolResult<T>> {
  const { count, concurrency, call } = opts;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be >= 1`);
  const samples: PoolSample<T>[] = [];
  let next = 0;
  const started = performance.now();
  const caller = async () => {
    while (next < count && !opts.stop?.()) {
      const index = next++;
      const t0 = performance.now();
      try {
        const value = await call(index);
        samples.push({ index, latencyMs: performance.now() - t0, value });
      } catch (error) {
        samples.push({ index, latencyMs: performance.now() - t0, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(count, 1)) }, caller));
  return { samples: samples.sort((a, b) => a.index - b.index), wallMs: performance.now() - started };
}
