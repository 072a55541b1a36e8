import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import {
  assertSearchAttributes,
  checkSearchAttributes,
  registerSearchAttributes,
} from '../../src/temporal/search-attributes-setup';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/workflows/search-attributes';
import { temporalAddress } from '../helpers/temporal';

/** A namespace of the test's own, so registration starts from nothing. */
async function freshNamespace(connection: Connection): Promise<string> {
  const namespace = `setup-${randomUUID().slice(0, 8)}`;
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  return namespace;
}

describe('cascade setup: search attributes on a namespace', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddress() });
  });
  afterAll(async () => connection.close());

  it('registers every attribute on a new namespace, then nothing the second time', async () => {
    const ns = await freshNamespace(connection);
    const names = ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort();
    expect((await registerSearchAttributes(connection, ns)).sort()).toEqual(names);
    expect(await registerSearchAttributes(connection, ns)).toEqual([]);
    expect(await checkSearchAttributes(connection, ns)).toEqual({ missing: [], wrongType: [] });
  });

  it('the worker-start check names each missing attribute and the command that fixes it', async () => {
    const ns = await freshNamespace(connection);
    const err = await assertSearchAttributes(connection, ns).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    for (const key of ALL_SEARCH_ATTRIBUTES) expect(err!.message).toContain(`${key.name} (${key.type})`);
    expect(err!.message).toContain(`npx cascade setup --namespace ${ns}`);
  });
});
