/**
 * A whole cascade stack for a workflow test, all real: the recorded-model server (HTTP), a
 * config pointing at it, workers (the cascade queue and one queue per model) on the run's dev
 * server, and a CascadeClient. Model ids and the cascade task queue are unique per stack so
 * test files running in parallel never take each other's tasks.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { CascadeClient } from '../../src/client/cascade-client';
import { validateConfig, type LoadedConfig } from '../../src/config/load';
import {
  startRecordedServer,
  type RecordedServer,
  type RecordedServerOptions,
} from '../../src/recorded/server';
import { startWorkers, type RunningWorkers } from '../../src/worker';

export interface StackTask {
  route: 'static' | 'direct-small' | 'cascade' | 'latency-budget';
  rungs: { model: string; threshold?: number; confidence?: string }[];
  responseSchema?: Record<string, unknown>;
  limits?: Record<string, number>;
}

export interface StackOptions {
  dataFiles: string[];
  /** Endpoint model names (as in the data) with prices. */
  models: Record<
    string,
    { inputPerMTok: number; outputPerMTok: number; timeoutMs?: number; concurrency?: number }
  >;
  tasks: Record<string, StackTask>;
  recorded?: Partial<RecordedServerOptions>;
  costPerAction?: number;
  /**
   * A fixed prefix for model ids (and the cascade task queue) instead of a random one, so
   * recorded histories (test/replay) name the same models every time. Only one stack at a time
   * may use a given prefix on the run's server.
   */
  modelIdPrefix?: string;
}

export interface Stack {
  recorded: RecordedServer;
  config: LoadedConfig;
  cascade: CascadeClient;
  client: Client;
  /** The config's model id for an endpoint model name (ids are prefixed per stack). */
  modelId(name: string): string;
  close(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const prefix = opts.modelIdPrefix ?? `t${randomUUID().slice(0, 8)}-`;
  const modelId = (name: string) => `${prefix}${name}`;
  const recorded = await startRecordedServer({
    dataFiles: opts.dataFiles,
    latencyScale: 0,
    ...opts.recorded,
  });
  const config = validateConfig(
    {
      temporal: { costPerAction: opts.costPerAction ?? 0.000025 },
      models: Object.fromEntries(
        Object.entries(opts.models).map(([name, m]) => [
          modelId(name),
          {
            provider: 'openai-compatible',
            baseUrl: recorded.baseUrl,
            model: name,
            pricing: { inputPerMTok: m.inputPerMTok, outputPerMTok: m.outputPerMTok },
            ...(m.timeoutMs ? { timeoutMs: m.timeoutMs } : {}),
            ...(m.concurrency ? { concurrency: m.concurrency } : {}),
          },
        ]),
      ),
      tasks: Object.fromEntries(
        Object.entries(opts.tasks).map(([id, t]) => [
          id,
          { ...t, rungs: t.rungs.map((r) => ({ ...r, model: modelId(r.model) })) },
        ]),
      ),
    },
    'test-stack',
  );
  const taskQueue = `cascade-${prefix}`;
  let workers: RunningWorkers | undefined;
  let connection: Connection | undefined;
  try {
    workers = await startWorkers({
      config: config.config,
      address: inject('temporalAddress'),
      namespace: inject('temporalNamespace'),
      workflowBundlePath: inject('workflowBundlePath'),
      taskQueue,
    });
    connection = await Connection.connect({ address: inject('temporalAddress') });
  } catch (err) {
    await workers?.shutdown();
    await recorded.close();
    throw err;
  }
  const client = new Client({ connection, namespace: inject('temporalNamespace') });
  const cascade = new CascadeClient({ client, config, taskQueue });
  return {
    recorded,
    config,
    cascade,
    client,
    modelId,
    async close() {
      await workers!.shutdown();
      await connection!.close();
      await recorded.close();
    },
  };
}

/** Scripts the recorded-model server's next replies for one endpoint model ('ok' = serve normally). */
export async function scriptFaults(
  recorded: RecordedServer,
  model: string,
  sequence: string[],
): Promise<void> {
  const res = await fetch(`${recorded.url}/admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, sequence }),
  });
  if (!res.ok) throw new Error(`scripting faults failed: ${res.status} ${await res.text()}`);
}
