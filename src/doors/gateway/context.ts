/** What every gateway route works with. */
import type { CascadeClient } from '../client/cascade-client';
import type { GatewayAuth } from './auth';

import type { KeyLimits } from './key-limits';

export interface GatewayContext {
  cascade: CascadeClient;
  auth: GatewayAuth;
  namespace: string;
  /** The Temporal Web UI base of x-cascade-trace-url. */
  uiBaseUrl: string;
  /** Ask the server to hand the first workflow task to a worker on the client's NativeConnection. */
  eagerStart: boolean;
  /** How long a request waits for its workflow before a 504 (the workflow runs on). */
  resultTimeoutMs: number;
  /** Counters (tests and the bench read them). */
  stats: { started: number; eagerlyStarted: number };
  /**
   * Whether Temporal answered the gateway's last call: `downSince` is when calls began failing
   * (null while they succeed). While it is set, a new completion probes Temporal before sending
   * its start, and answers a retryable 503 if the probe fails (src/doors/gateway/completions.ts).
   */
  temporal: { downSince: number | null };
  /** Per-key tokens per minute (requests per minute: src/doors/gateway/key-limits.ts registerRequestLimit). */
  limits: KeyLimits;
}
