/**
 * A whole cascade stack for a workflow test, all real: the recorded-model server (HTTP), a
 * config pointing at it, workers (the cascade queue and one queue per model) on the run's dev
 * server, and a CascadeClient. Model ids and the cascade task queue are unique per stack so
 * test files running in parallel never take each other's tasks.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { inject } from 'vitest';
import { CascadeClient } from '../../src/doors/client/cascade-client';
import { validateConfig, type LoadedConfig } from '../../src/request/config-file/load';
import type { Ledger } from '../../src/request/ledger/types';
import {
  startRecordedServer,
  type RecordedServer,
  type RecordedServerOptions,
} from '../../src/tools/recorded-models/server';
import { startWorkers, type RunningWorkers } from '../../src/temporal/worker';

export interface StackTask {
  route: 'static' | 'direct-small' | 'cascade' | 'latency-budget';
  rungs: { model: string; threshold?: number; confidence?: string; judge?: string }[];
  responseSchema?: Record<string, unknown>;
  limits?: Record<string, number>;
  /** Any other task field of the config (shadow, rollout, killSwitch, baseline, ...). */
  [field: string]: unknown;
}

export interface StackOptions {
  dataFiles: string[];
  /** Endpoint model names (as in the data) with prices. */
  models: Record<
    string,
    {
      inputPerMTok: number;
      outputPerMTok: number;
      timeoutMs?: number;
      concurrency?: number;
      /** More endpoints serving the model (e.g. a second recorded-model server the test started). */
      failover?: { baseUrl: string; apiKeyEnv?: string }[];
      /** The model's circuit breaker settings (per endpoint); default: one that never trips. */
      circuit?: { failureThreshold?: number; cooldownMs?: number };
      /** Service time assumed before any call was observed (latency-budget dispatch). */
      expectedLatencyMs?: number;
      /** Point the model's `metrics` at the recorded server's /metrics (`recorded_queue_depth`). */
      recordedMetrics?: boolean;
      /** The protocol the model is called with; default openai-compatible (`anthropic`: /v1/messages). */
      provider?: 'openai-compatible' | 'anthropic';
    }
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
  /** The ledger the workers record to and the client checks caps in (default: in-memory SQLite). */
  ledger?: Ledger;
  /** Serve the workers' cascade_* metrics (0 = a free port). */
  metricsPort?: number;
  /** Config `ledger` and `tenants` sections. */
  ledgerConfig?: { retryWindowMs?: number };
  tenants?: Record<string, { monthlySpendCapUsd?: number }>;
  /** Config `monitors` section. */
  monitors?: Record<string, unknown>;
  /** Where the workers' monitor activities POST alerts. */
  alertWebhookUrl?: string;
  /** Encrypt payloads: the workers and the stack's Client both use this codec (docs/encryption.md). */
  payloadCodec?: PayloadCodec;
}

export interface Stack {
  recorded: RecordedServer;
  config: LoadedConfig;
  cascade: CascadeClient;
  client: Client;
  /** The config's model id for an endpoint model name (ids are prefixed per stack). */
  modelId(name: string): string;
  /** This stack's own cascade and shadow task queues. */
  taskQueue: string;
  shadowTaskQueue: string;
  /** The running workers: their ledger, metrics and metrics server. */
  workers: RunningWorkers;
  close(): Promise<void>;
}

/**
 * Stacks script faults into many requests to one model, so the production default (open after 5
 * consecutive failures) would open a circuit between unrelated tests. A model's circuit trips only
 * in tests that set `circuit` themselves (test/workflows/endpoint-health.test.ts).
 */
const NO_TRIP_CIRCUIT = { failureThreshold: 1000 };

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
      ...(opts.ledgerConfig ? { ledger: opts.ledgerConfig } : {}),
      ...(opts.tenants ? { tenants: opts.tenants } : {}),
      ...(opts.monitors ? { monitors: opts.monitors } : {}),
      models: Object.fromEntries(
        Object.entries(opts.models).map(([name, m]) => [
          modelId(name),
          {
            provider: m.provider ?? 'openai-compatible',
            // Anthropic's base URL is the API root (its client adds /v1/messages).
            baseUrl: m.provider === 'anthropic' ? recorded.url : recorded.baseUrl,
            model: name,
            pricing: { inputPerMTok: m.inputPerMTok, outputPerMTok: m.outputPerMTok },
            ...(m.timeoutMs ? { timeoutMs: m.timeoutMs } : {}),
            ...(m.concurrency ? { concurrency: m.concurrency } : {}),
            ...(m.failover ? { failover: m.failover } : {}),
            circuit: m.circuit ?? NO_TRIP_CIRCUIT,
            ...(m.expectedLatencyMs ? { expectedLatencyMs: m.expectedLatencyMs } : {}),
            ...(m.recordedMetrics
              ? { metrics: { url: `${recorded.url}/metrics`, queueMetric: 'recorded_queue_depth' } }
              : {}),
          },
        ]),
      ),
      tasks: Object.fromEntries(
        Object.entries(opts.tasks).map(([id, t]) => [
          id,
          {
            ...t,
            rungs: t.rungs.map((r) => ({
              ...r,
              model: modelId(r.model),
              ...(r.judge ? { judge: modelId(r.judge) } : {}),
            })),
            ...(typeof t.baseline === 'string' ? { baseline: modelId(t.baseline) } : {}),
            ...(typeof t.overrideModel === 'string' ? { overrideModel: modelId(t.overrideModel) } : {}),
          },
        ]),
      ),
    },
    'test-stack',
  );
  const taskQueue = `cascade-${prefix}`;
  const shadowTaskQueue = `cascade-shadow-${prefix}`;
  let workers: RunningWorkers | undefined;
  let connection: Connection | undefined;
  try {
    workers = await startWorkers({
      config: config.config,
      calibrations: config.calibrations,
      address: inject('temporalAddress'),
      namespace: inject('temporalNamespace'),
      workflowBundlePath: inject('workflowBundlePath'),
      taskQueue,
      shadowTaskQueue,
      ledger: opts.ledger,
      metricsPort: opts.metricsPort,
      metricsHost: '127.0.0.1',
      alertWebhookUrl: opts.alertWebhookUrl,
      payloadCodec: opts.payloadCodec,
    });
    connection = await Connection.connect({ address: inject('temporalAddress') });
  } catch (err) {
    await workers?.shutdown();
    await recorded.close();
    throw err;
  }
  const client = new Client({
    connection,
    namespace: inject('temporalNamespace'),
    dataConverter: opts.payloadCodec ? { payloadCodecs: [opts.payloadCodec] } : undefined,
  });
  const cascade = new CascadeClient({ client, config, taskQueue, shadowTaskQueue, ledger: workers.ledger });
  return {
    recorded,
    config,
    cascade,
    client,
    modelId,
    taskQueue,
    shadowTaskQueue,
    workers,
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
