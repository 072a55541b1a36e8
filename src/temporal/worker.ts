/**
 * Worker bootstrap. One worker polls `cascade` (workflows, and the local activities that
 * classify and check), and one worker per model polls `cascade-model-<modelId>` with as many
 * activity slots as the endpoint's configured concurrency, so a model's capacity is enforced
 * across all workers and its backlog is visible cluster-wide. The workflow workers also run the
 * record-outcome activity, writing each finished request to the ledger (opened and migrated
 * here, before polling) and feeding the `cascade_*` metrics, served on `metricsPort`.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import {
  createLocalActivities,
  createModelActivities,
  createMonitorActivities,
  createRecordActivities,
} from './activities';
import { classifierLookup } from '../request/config-file/artefact-file';
import type { CascadeConfig } from '../request/config/schema';
import type { CalibrationArtefact } from '../request/router/calibration/artefact';
import { createProvider } from '../request/providers/registry';
import type { ModelProvider } from '../request/providers/types';
import { CASCADE_TASK_QUEUE, SHADOW_TASK_QUEUE } from '../request/router/cascade-input';
import { modelTaskQueue } from '../request/router/policy';
import { openLedger } from '../request/ledger/open';
import type { Ledger } from '../request/ledger/types';
import { withEndpointStats } from '../watch/telemetry/endpoint-stats';
import { createCascadeMetrics, type CascadeMetrics } from '../watch/telemetry/metrics';
import { serveMetrics, type MetricsServer } from '../watch/telemetry/metrics-server';
import { assertSearchAttributes } from './search-attributes-setup';
import { ensureMonitorSchedule } from './monitor-schedule';
import { registerMonitorGauges } from '../watch/telemetry/monitor-gauges';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { codecDataConverter, codecFromEnv } from '../request/codec/from-env';
import { readEnv } from '../env';

/**
 * Pollers that scale with the work instead of holding 10 long polls per task queue open: one
 * process runs a worker per model queue besides the workflow queues, all on one connection, and
 * with fixed pollers their idle long polls (10 x each queue) crowd out the requests that matter
 * on that connection (workflow-task completions, starts, results).
 */
const IDLE_FRIENDLY_POLLERS: Pick<
  WorkerOptions,
  'workflowTaskPollerBehavior' | 'activityTaskPollerBehavior'
> = {
  workflowTaskPollerBehavior: { type: 'autoscaling', minimum: 1, initial: 2, maximum: 20 },
  activityTaskPollerBehavior: { type: 'autoscaling', minimum: 1, initial: 1, maximum: 20 },
};

export interface CascadeWorkerOptions {
  /**
   * The config, or a getter for the one in force (a ConfigWatcher): a model's endpoint, key
   * name or timeout edited in the file reaches the next call without a restart. Adding a model
   * (a new task queue to poll) needs a restart.
   */
  config: CascadeConfig | (() => CascadeConfig);
  /**
   * The calibration artefacts of the config's tasks (`LoadedConfig.calibrations`), or a getter for
   * the ones in force: the classify activity finds the classifier a request's snapshot names among
   * them, and the monitors compare traffic with them. None: classification falls back to the rules
   * baseline for calibrated tasks (and says so in the trace).
   */
  calibrations?: Record<string, CalibrationArtefact> | (() => Record<string, CalibrationArtefact>);
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
  /**
   * The outcome ledger the workflow workers record to: its URL (`sqlite:<path>`,
   * `postgres://...`; the CLI passes CASCADE_LEDGER_URL), opened and migrated at start and
   * closed at shutdown. Default: an in-memory SQLite ledger, gone when the process exits.
   */
  ledgerUrl?: string;
  /** An already open ledger instead (the caller closes it). */
  ledger?: Ledger;
  /** Serve the `cascade_*` metrics at http://<host>:<port>/metrics (0 = a free port); none when absent. */
  metricsPort?: number;
  /** Interface for the metrics server (default all). */
  metricsHost?: string;
  /**
   * Create (or update to the config's interval) the `cascade-monitors` Temporal Schedule at
   * start, targeting this worker's cascade queue (default false: the CLI turns it on).
   */
  monitorSchedule?: boolean;
  /** Where monitor alerts are POSTed (CASCADE_ALERT_WEBHOOK_URL); never in a workflow input. */
  alertWebhookUrl?: string;
  /**
   * Encrypts every payload this worker writes to history and decrypts what it reads
   * (docs/encryption.md). Default: the codec CASCADE_CODEC_KEYS configures in `env`, if any.
   */
  payloadCodec?: PayloadCodec;
}

export interface RunningWorkers {
  workers: Worker[];
  connection: NativeConnection;
  /** Where finished requests are recorded (none in a model-only worker). */
  ledger: Ledger | undefined;
  /** The `cascade_*` metrics the record activity feeds. */
  metrics: CascadeMetrics;
  /** The `/metrics` endpoint, when a metricsPort was given. */
  metricsServer?: MetricsServer;
  /** Resolves when every worker has stopped; rejects if one fails. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorkers(opts: CascadeWorkerOptions): Promise<RunningWorkers> {
  const current = typeof opts.config === 'function' ? opts.config : () => opts.config as CascadeConfig;
  const initial = current();
  const calibrations =
    typeof opts.calibrations === 'function'
      ? opts.calibrations
      : () => (opts.calibrations as Record<string, CalibrationArtefact> | undefined) ?? {};
  const dataConverter = codecDataConverter(
    opts.payloadCodec ?? codecFromEnv(readEnv(opts.env ?? process.env)),
  );
  if (opts.checkSearchAttributes !== false || (opts.monitorSchedule && opts.workflows !== false)) {
    const conn = await Connection.connect({ address: opts.address });
    try {
      if (opts.checkSearchAttributes !== false) await assertSearchAttributes(conn, opts.namespace);
      if (opts.monitorSchedule && opts.workflows !== false) {
        await ensureMonitorSchedule(new Client({ connection: conn, namespace: opts.namespace }), {
          everyMs: initial.monitors.everyMs,
          taskQueue: opts.taskQueue,
        });
      }
    } finally {
      await conn.close();
    }
  }
  // The ledger first: a worker that cannot record must not take workflows. (Model-only
  // workers record nothing and open none.)
  const serveWorkflows = opts.workflows !== false;
  const ledger = !serveWorkflows
    ? undefined
    : (opts.ledger ?? (await openLedger(opts.ledgerUrl ?? 'sqlite::memory:')));
  const closeLedger = async () => {
    if (ledger && !opts.ledger) await ledger.close();
  };
  const metrics = createCascadeMetrics({ tenants: () => Object.keys(current().tenants) });
  let metricsServer: MetricsServer | undefined;
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address: opts.address });
  } catch (err) {
    await closeLedger();
    throw err;
  }
  const workers: Worker[] = [];
  try {
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
    const modelActivities = createModelActivities({
      provider: withEndpointStats(provider),
      // Lean calls journal their executions in the ledger, so a re-run after a crash is on the record.
      journal: ledger
        ? {
            begin: ledger.beginCall.bind(ledger),
            end: ledger.endCall.bind(ledger),
            peek: ledger.peekCall.bind(ledger),
          }
        : undefined,
      pricing: (id) => (Object.hasOwn(current().models, id) ? current().models[id]!.pricing : undefined),
    });
    if (ledger) {
      const source: Partial<WorkerOptions> = opts.workflowBundlePath
        ? { workflowBundle: { codePath: opts.workflowBundlePath } }
        : { workflowsPath: require.resolve('./workflows') };
      // The endpoint snapshot (latency-budget dispatch) reads task-queue stats on this connection.
      const localActivities = createLocalActivities({
        connection,
        namespace: opts.namespace,
        config: current,
        servedModels: new Set(opts.models ?? Object.keys(initial.models)),
        classifiers: classifierLookup(calibrations),
      });
      // The outcome to the ledger, at the end: a regular activity on the workflow's own queue
      // (durable execution) or a local activity (lean).
      const recordActivities = createRecordActivities({ ledger, config: current, metrics });
      // The scheduled monitors (src/temporal/workflows/monitor.ts) read the same ledger.
      const monitorActivities = createMonitorActivities({
        ledger,
        config: current,
        calibrations,
        webhookUrl: opts.alertWebhookUrl,
      });
      registerMonitorGauges(metrics.registry, { latest: () => ledger.latestEvaluation() });
      const leanSlots = Math.max(
        40,
        [...new Set(opts.models ?? Object.keys(initial.models))].reduce(
          (n, id) => n + (initial.models[id]?.concurrency ?? 0),
          0,
        ),
      );
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
            // A lean request holds a workflow-task slot and a local-activity slot for as long as
            // its model calls run: as many of each as the served models' endpoints accept together
            // (at least the SDK's default 40), so lean traffic is bounded by the same figures as
            // durable traffic's per-model queues, summed (docs/architecture.md).
            maxConcurrentWorkflowTaskExecutions: leanSlots,
            maxConcurrentLocalActivityExecutions: leanSlots,
            ...IDLE_FRIENDLY_POLLERS,
            // Lean requests call their models as local activities of this worker (callModel).
            activities: {
              ...localActivities,
              ...recordActivities,
              ...monitorActivities,
              ...modelActivities,
            },
            ...source,
            dataConverter,
          }),
        );
      }
    }
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
          ...IDLE_FRIENDLY_POLLERS,
          // Cancellation reaches a running call in a heartbeat response: send heartbeats at
          // least every second instead of 80% of the heartbeat timeout, so a cancelled request
          // stops paying for its model call within about a second.
          maxHeartbeatThrottleInterval: '1 second',
          dataConverter,
        }),
      );
    }
    if (opts.metricsPort !== undefined) {
      metricsServer = await serveMetrics(metrics.registry, {
        port: opts.metricsPort,
        host: opts.metricsHost,
      });
    }
  } catch (err) {
    await connection.close();
    await closeLedger();
    throw err;
  }
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    workers,
    connection,
    ledger,
    metrics,
    metricsServer,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done.catch(() => undefined);
      await connection.close();
      await metricsServer?.close();
      await closeLedger();
    },
  };
}
