/**
 * Delivers alert transitions to a webhook as one JSON POST. The body carries the structured
 * transitions and a `text` line per transition, which Slack- and Mattermost-style incoming
 * webhooks display as they are. A non-2xx reply or a network error throws, so the activity that
 * calls this is retried by Temporal; the receiver should treat `evaluationId` as an idempotency key.
 */
import type { AlertTransition } from './transitions';

export interface WebhookPayload {
  source: 'cascade-router';
  evaluationId: string;
  /** End of the evaluated window, ISO 8601. */
  at: string;
  transitions: AlertTransition[];
  text: string;
}

export function webhookPayload(
  evaluationId: string,
  at: number,
  transitions: AlertTransition[],
): WebhookPayload {
  const lines = transitions.map(
    (t) =>
      `[${t.state === 'firing' ? t.alert.severity.toUpperCase() : 'RESOLVED'}] ${t.alert.monitor} ${t.alert.key}: ${t.alert.message}`,
  );
  return {
    source: 'cascade-router',
    evaluationId,
    at: new Date(at).toISOString(),
    transitions,
    text: lines.join('\n'),
  };
}

export class WebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookError';
  }
}

export async function postWebhook(
  url: string,
  payload: WebhookPayload,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': payload.evaluationId },
      body: JSON.stringify(payload),
      signal,
    });
  } catch (err) {
    // Never echo the URL: webhook URLs usually carry their secret in the path.
    throw new WebhookError(`alert webhook unreachable: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => '')).slice(0, 200);
    throw new WebhookError(`alert webhook answered ${res.status}${body ? `: ${body}` : ''}`);
  }
}
