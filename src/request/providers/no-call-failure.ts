/**
 * The details of a failure where no model call was billed: a circuit that was open, a key that
 * was missing, a Temporal timeout. Pure, so workflow code can build them too.
 */
import type { ErrorClass, ProviderErrorDetails } from './types';

export function noCallFailure(
  errorClass: ErrorClass,
  retryable: boolean,
  message: string,
): ProviderErrorDetails {
  return {
    errorClass,
    retryable,
    status: null,
    retryAfterMs: null,
    latencyMs: 0,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    message,
  };
}
