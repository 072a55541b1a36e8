/**
 * Worker bootstrap. One worker polls `cascade` (workflows, and the local activities that
 * classify and check), and one worker per model polls `cascade-model-<modelId>` with as many
 * activity slots as the endpoint's configured concurrency, so a model's capacity is enforced
 * across all workers and its backlog is visible cluster-wide.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createModelActivities, localActivities } from '../activities';
import type { CascadeConfig } from './config/schema';
import { createProvider } from './providers/registry';
import type { ModelProvider } from './providers/types';
import { CASCADE_TASK_QUEUE } from './router/cascade-input';
import { modelTaskQueue } from './router/policy';
import { assertSearchAttributes } from './temporal/search-attributes-setup';
import { Connection } from '@temporalio/client';

export interface CascadeWorkerOptions {
  config: CascadeConfig;
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
}

export interface RunningWorkers {
  workers: Worker[];
  connection: NativeConnection;
  /** Resolves when every worker has stopped; rejects if one fails. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorkers(opts: CascadeWorkerOptions): Promise<RunningWorkers> {
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
      workers.push(
        await Worker.create({
          connection,
          namespace: opts.namespace,
          taskQueue: opts.taskQueue ?? CASCADE_TASK_QUEUE,
          activities: localActivities,
          ...source,
        }),
      );
    }
    const providers = new Map<string, ModelProvider>();
    const provider = (id: string) => {
      let p = providers.get(id);
      if (!p) {
        const model = opts.config.models[id];
        if (!model) throw new Error(`this worker has no config for model "${id}"`);
        p = createProvider(id, model, opts.env ?? process.env);
        providers.set(id, p);
      }
      return p;
    };
    const modelActivities = createModelActivities({ provider });
    for (const id of opts.models ?? Object.keys(opts.config.models)) {
      const model = opts.config.models[id];
      if (!model)
        throw new Error(
          `unknown model "${id}"; the config defines ${Object.keys(opts.config.models).join(', ')}`,
        );
      workers.push(
        await Worker.create({
          connection,
          namespace: opts.namespace,
          taskQueue: modelTaskQueue(id),
          activities: modelActivities,
          maxConcurrentActivityTaskExecutions: model.concurrency,
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
