/**
 * Connecting a test to the run's one dev server (see test/global-setup.ts): a client, and a
 * real worker on a task queue of the test's own so tests in parallel never steal each
 * other's tasks.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';

export function temporalAddress(): string {
  return inject('temporalAddress');
}

export async function testClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection, namespace: inject('temporalNamespace') });
  return { client, close: () => connection.close() };
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Runs `fn` while a real worker (the shared workflow bundle) polls `taskQueue`. */
export async function withWorker<T>(
  options: Partial<WorkerOptions> & { taskQueue: string },
  fn: () => Promise<T>,
): Promise<T> {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  try {
    const worker = await Worker.create({
      connection,
      namespace: inject('temporalNamespace'),
      workflowBundle: { codePath: inject('workflowBundlePath') },
      ...options,
    });
    return await worker.runUntil(fn());
  } finally {
    await connection.close();
  }
}
