/**
 * A worker for the floor modes of bench/overhead (bench/overhead/floor-workflow.ts), on the
 * cascade workers' NativeConnection so its client starts workflows eagerly, exactly as the lean
 * modes' CascadeClient does: the floor and the router differ only in what the workflow does.
 */
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import type { ModelProvider } from '../../src/request/providers/types';
import type { FloorActivities, FloorInput, FloorResult } from './floor-types';

export interface FloorWorker {
  /** Starts one floor workflow (eagerly) and waits for its result. */
  run(id: string, input: FloorInput): Promise<{ startMs: number; result: FloorResult }>;
  close(): Promise<void>;
}

export async function startFloorWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The production provider client of the model, as the `direct` mode calls it. */
  provider: ModelProvider;
}): Promise<FloorWorker> {
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./floor-workflow.ts'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
  });
  const activities: FloorActivities = {
    // The same request the `direct` mode and the cascade's first rung send (logprobs, top 1).
    async floorCall(input) {
      const r = await opts.provider.call({
        messages: [
          ...(input.system ? [{ role: 'system' as const, content: input.system }] : []),
          { role: 'user' as const, content: input.prompt },
        ],
        logprobs: true,
        topLogprobs: 1,
      });
      return { latencyMs: r.latencyMs, costUsd: r.costUsd };
    },
  };
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: bundle,
    activities,
  });
  const running = worker.run();
  const client = new Client({ connection: opts.connection as never, namespace: opts.namespace });
  return {
    async run(id, input) {
      const t0 = performance.now();
      const handle = await client.workflow.start('floorWorkflow', {
        taskQueue: opts.taskQueue,
        workflowId: id,
        args: [input],
        requestEagerStart: true,
      });
      const startMs = performance.now() - t0;
      return { startMs, result: (await handle.result()) as FloorResult };
    },
    async close() {
      worker.shutdown();
      await running;
    },
  };
}
