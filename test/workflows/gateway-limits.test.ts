/**
 * Per-key limits of the gateway (the config's `gateway.limits`): requests per minute and tokens
 * per minute, by token id. Over either, 429 `rate_limit_exceeded` in OpenAI's shape with
 * Retry-After and `x-should-retry: true`, and no workflow started; a key without limits is not
 * limited; the official `openai` client raises its RateLimitError.
 */
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import { shippedData } from '../helpers/data';
import { readRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const run = randomUUID().slice(0, 8);
const KEYS = {
  rpm: { id: `rpm${run}`, token: `rpm-token-${run}` },
  tpm: { id: `tpm${run}`, token: `tpm-token-${run}` },
  free: { id: `free${run}`, token: `free-token-${run}` },
};

let stack: Stack;
let gateway: RunningGateway;

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU],
    models: { [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 } },
    tasks: { mmlu: { route: 'static', rungs: [{ model: SMALL }] } },
  });
  gateway = await startGateway({
    cascade: stack.cascade,
    auth: parseApiTokens(
      Object.values(KEYS)
        .map((k) => `${k.id}:${k.token}`)
        .join(','),
    ),
    port: 0,
    namespace: 'default',
    limits: {
      // The default applies to every key without limits of its own; `free` has an empty entry.
      default: { requestsPerMinute: 2 },
      keys: { [KEYS.tpm.id]: { tokensPerMinute: 1 }, [KEYS.free.id]: {} },
    },
  });
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
});

const rows = () => readRows(MMLU).filter((r) => r.models[SMALL]?.answer !== undefined);

function send(token: string, i: number) {
  const row = rows()[i]!;
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'cascade/mmlu',
      messages: [
        ...(row.system ? [{ role: 'system', content: row.system }] : []),
        { role: 'user', content: row.prompt },
      ],
    }),
  });
}

async function workflowsOf(tokenId: string): Promise<number> {
  const { count } = await stack.client.workflow.count(`WorkflowId STARTS_WITH "${tokenId}:"`);
  return count;
}

async function expectRateLimited(res: Response, limit: 'requests' | 'tokens') {
  expect(res.status).toBe(429);
  expect(res.headers.get('x-should-retry')).toBe('true');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  const body = (await res.json()) as { error: { type: string; code: string; message: string } };
  expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  expect(body.error.message).toContain(`${limit} a minute`);
}

describe('per-key limits', () => {
  it('requests per minute: the third request of a minute gets 429 with Retry-After and starts nothing', async () => {
    for (let i = 0; i < 2; i++) expect((await send(KEYS.rpm.token, i)).status).toBe(200);
    await expectRateLimited(await send(KEYS.rpm.token, 2), 'requests');
    // The official client surfaces it as its RateLimitError (no retries here: maxRetries 0).
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEYS.rpm.token, maxRetries: 0 });
    const row = rows()[3]!;
    await expect(
      client.chat.completions.create({
        model: 'cascade/mmlu',
        messages: [{ role: 'user', content: row.prompt }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await new Promise((r) => setTimeout(r, 1500)); // visibility catches up
    expect(await workflowsOf(KEYS.rpm.id)).toBe(2);
  });

  it('tokens per minute: once a key used its tokens, its next request gets 429 before it starts', async () => {
    expect((await send(KEYS.tpm.token, 4)).status).toBe(200);
    await expectRateLimited(await send(KEYS.tpm.token, 5), 'tokens');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await workflowsOf(KEYS.tpm.id)).toBe(1);
  });

  it('a key whose own entry sets no limit is not limited', async () => {
    for (let i = 6; i < 11; i++) expect((await send(KEYS.free.token, i)).status).toBe(200);
  });
});
