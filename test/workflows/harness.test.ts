import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { Connection } from '@temporalio/client';
import { healthCheckWorkflow } from '../../src/temporal/workflows';
import { SA } from '../../src/temporal/workflows/search-attributes';
import { checkSearchAttributes, registerSearchAttributes } from '../../src/temporal/search-attributes-setup';
import { temporalAddress, testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';

describe('test harness: one real dev server for the run', () => {
  let client: Client;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ client, close } = await testClient());
  });
  afterAll(async () => close());

  it('runs a workflow from the shared bundle on a real worker and indexes its search attributes', async () => {
    const taskQueue = uniqueTaskQueue('harness');
    const workflowId = `harness-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const result = await withWorker({ taskQueue }, () =>
      client.workflow.execute(healthCheckWorkflow, { taskQueue, workflowId }),
    );
    expect(result.workflowId).toBe(workflowId);
    expect(result.searchAttributes).toContain('CascadeEscalated');

    const desc = await client.workflow.getHandle(workflowId).describe();
    expect(desc.typedSearchAttributes.get(SA.route)).toBe('static');
    expect(desc.typedSearchAttributes.get(SA.escalated)).toBe(false);
    expect(desc.typedSearchAttributes.get(SA.attempts)).toBe(0);

    // Visibility lags behind the write: poll with a bound, never sleep a fixed time.
    let count = 0;
    for (let i = 0; i < 50 && count === 0; i++) {
      const res = await client.workflow.count(`WorkflowId = '${workflowId}' AND CascadeEscalated = false`);
      count = res.count;
      if (count === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(count).toBe(1);
  });

  it('registering search attributes again is a no-op, and the check finds none missing', async () => {
    const connection = await Connection.connect({ address: temporalAddress() });
    try {
      expect(await registerSearchAttributes(connection, 'default')).toEqual([]);
      expect(await checkSearchAttributes(connection, 'default')).toEqual({ missing: [], wrongType: [] });
    } finally {
      await connection.close();
    }
  });
});
