/**
 * The caller's abort as something to race a request's result with (`Promise.race`), for the
 * loops that run many requests through the client (a batch, a profile): an abort stops waiting
 * for the results, not the workflows, which keep running in Temporal for a rerun to collect.
 */
export interface AbortRace {
  /** Resolves `'aborted'` when the signal aborts (at once if it already has); never rejects. */
  aborted: Promise<'aborted'>;
  /** Stops listening to the signal, once the loop is done. */
  release(): void;
}

export function abortRace(signal: AbortSignal | undefined): AbortRace {
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  return { aborted, release: () => signal?.removeEventListener('abort', onAbort) };
}
