/**
 * The most telling message of an error from the client: a WorkflowFailedError says little
 * without its cause (the activity's failure, then the provider's), so up to three causes follow
 * the message, each once.
 */
export function clientErrorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const parts = [err.message];
  let cause: unknown = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++) {
    if (cause.message && !parts.includes(cause.message)) parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.join(': ');
}
