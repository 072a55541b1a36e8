/**
 * Worker bootstrap. One worker polls `cascade` (workflows, and the local activities that
 * classify and check), and one worker per model polls `cascade-model-<modelId>` with as many
 * activity slots as the endpoint's configured concurrency, so a model's capacity is enforced
 * across all workers and its backlog is visible cluster-wide.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createLocalActivities, createModelActivities } from '../activities';
import type { CascadeConfig } from './config/schema';
import { createProvider } from './providers/registry';
import type { ModelProvider } from './providers/types';
import { CASCADE_TASK_QUEUE, SHADOW_TASK_QUEUE } from './router/cascade-input';
import { modelTaskQueue } from './router/policy';
import { withEndpointStats } from './telemetry/endpoint-stats';
import { assertSearchAttributes } from './temporal/search-attributes-setup';
import { Connection } from '@temporalio/client';

export interface CascadeWorkerOptions {
  /**
   * The config, or a getter for the one in force (a ConfigWatcher): a model's endpoint, key
   * name or timeout edited in the file reaches the next call without a restart. Adding a model
   * (a new task queue to poll) needs a restart.
   */
  config: CascadeConfig | (() => CascadeConfig);
  address: string;
  namespace: string;
  /** A prebuilt workflow bundle (tests bundle once per run); default: bundle from source. */
  workflowBundlePath?: string;
  /** Which models this process serves (default: all in the config). */
  models?: string[];
  /** Serve the `cascade` workflow queue (default true); false for model-only workers. */
  workflows?: boolean;
  /** The worker's environment, for provider keys (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Check the namespace's search attributes before polling (default true). */
  checkSearchAttributes?: boolean;
  /** Override the cascade task queue (tests use their own to run in parallel). */
  taskQueue?: string;
  /** Override the shadow task queue likewise. */
  shadowTaskQueue?: string;
}

export interface RunningWorkers {
  workers: Worker[];
  connection: NativeConnection;
  /** Resolves when every worker has stopped; rejects if one fails. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorkers(opts: CascadeWorkerOptions): Promise<RunningWorkers> {
  const current = typeof opts.config === 'function' ? opts.config : () => opts.config as CascadeConfig;
  const initial = current();
  if (opts.checkSearchAttributes !== false) {
    const conn = await Connection.connect({ address: opts.address });
    try {
      await assertSearchAttributes(conn, opts.namespace);
    } finally {
      await conn.close();
    }
  }
  const connection = await NativeConnection.connect({ address: opts.address });
  const workers: Worker[] = [];
  try {
    if (opts.workflows !== false) {
      const source: Partial<WorkerOptions> = opts.workflowBundlePath
        ? { workflowBundle: { codePath: opts.workflowBundlePath } }
        : { workflowsPath: require.resolve('../workflows') };
      // The endpoint snapshot (latency-budget dispatch) reads task-queue stats on this connection.
      const localActivities = createLocalActivities({
        connection,
        namespace: opts.namespace,
        config: current,
        servedModels: new Set(opts.models ?? Object.keys(initial.models)),
      });
      // Shadow children run the same workflow type on their own queue, so their load can be
      // watched and capped apart from the traffic that serves users.
      for (const taskQueue of [
        opts.taskQueue ?? CASCADE_TASK_QUEUE,
        opts.shadowTaskQueue ?? SHADOW_TASK_QUEUE,
      ]) {
        workers.push(
          await Worker.create({
            connection,
            namespace: opts.namespace,
            taskQueue,
            activities: localActivities,
            ...source,
          }),
        );
      }
    }
    // One client per model, rebuilt only when that model's config changes (a rebuild starts
    // its circuits afresh, so unrelated edits must not reset them).
    const providers = new Map<string, { key: string; provider: ModelProvider }>();
    const provider = (id: string) => {
      const model = Object.hasOwn(current().models, id) ? current().models[id] : undefined;
      if (!model) throw new Error(`this worker has no config for model "${id}"`);
      const key = JSON.stringify(model);
      let entry = providers.get(id);
      if (!entry || entry.key !== key) {
        entry = { key, provider: createProvider(id, model, opts.env ?? process.env) };
        providers.set(id, entry);
      }
      return entry.provider;
    };
    // Calls are counted per model (in flight, recent latencies) for latency-budget dispatch.
    const modelActivities = createModelActivities({ provider: withEndpointStats(provider) });
    for (const id of opts.models ?? Object.keys(initial.models)) {
      const model = Object.hasOwn(initial.models, id) ? initial.models[id] : undefined;
      if (!model) {
        throw new Error(
          `unknown model "${id}"; the config defines ${Object.keys(initial.models).join(', ')}`,
        );
      }
      workers.push(
        await Worker.create({
          connection,
          namespace: opts.namespace,
          taskQueue: modelTaskQueue(id),
          activities: modelActivities,
          maxConcurrentActivityTaskExecutions: model.concurrency,
          // Cancellation reaches a running call in a heartbeat response: send heartbeats at
          // least every second instead of 80% of the heartbeat timeout, so a cancelled request
          // stops paying for its model call within about a second.
          maxHeartbeatThrottleInterval: '1 second',
        }),
      );
    }
  } catch (err) {
    await connection.close();
    throw err;
  }
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    workers,
    connection,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done.catch(() => undefined);
      await connection.close();
    },
  };
}
