/** How a load test sends one request: through the CascadeClient, or an OpenAI-compatible gateway over HTTP. */
import type { CascadeClient } from '../../doors/client/cascade-client';
import type { Trace } from '../../request/router/trace';
import type { Outcome, Sender } from './run';

export function modelTimeOf(trace: Trace): number {
  return trace.calls.flatMap((c) => c.attempts).reduce((s, a) => s + a.latencyMs, 0);
}

/** Starts the row as a new request (id replaced) and waits for its trace. */
export function clientSender(cascade: CascadeClient): Sender {
  return async (row, id): Promise<Outcome> => {
    const { models: _models, ...request } = row.value;
    void _models;
    const trace = await cascade.run({ ...request, id, task: row.task });
    return {
      ok: trace.status === 'answered',
      decisionMs: trace.decision?.decisionMs ?? null,
      modelMs: modelTimeOf(trace),
      ...(trace.status !== 'answered' ? { error: trace.error ?? trace.status } : {}),
    };
  };
}

/**
 * POST /v1/chat/completions with `model: cascade/<task>`. The gateway returns the answer, not the
 * trace: decision and model time are unknown over HTTP, so only end-to-end figures come back.
 */
export function gatewaySender(baseUrl: string, token?: string): Sender {
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/chat/completions`;
  return async (row, id): Promise<Outcome> => {
    const system = typeof row.value.system === 'string' ? row.value.system : undefined;
    const messages = Array.isArray(row.value.messages)
      ? row.value.messages
      : [
          ...(system ? [{ role: 'system', content: system }] : []),
          { role: 'user', content: row.value.prompt },
        ];
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': id,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ model: `cascade/${row.task}`, messages }),
    });
    const text = await res.text();
    return res.ok
      ? { ok: true, decisionMs: null, modelMs: null }
      : { ok: false, decisionMs: null, modelMs: null, error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  };
}
