/**
 * The live signals latency-budget dispatch decides from, read once per request by a LOCAL
 * activity, so the numbers are recorded in history and a replay decides the same way:
 *
 *   1. the Temporal task-queue backlog of each candidate's `cascade-model-<modelId>` queue
 *      (DescribeTaskQueue with report_stats: approximate_backlog_count of its activity tasks;
 *      the server caches these stats, `matching.TaskQueueInfoByBuildIdTTL`, 5 s by default);
 *   2. this worker's own in-flight calls per model and the median of its recent latencies and
 *      output tokens (src/watch/telemetry/endpoint-stats.ts);
 *   3. the endpoint's own queue gauge, when the model's config has `metrics.url`.
 *
 * A signal that cannot be read within its timeout is null, with the reason in `errors`: the
 * decision goes on with what it has rather than fail the request.
 */
import { temporal } from '@temporalio/proto';
import type { CascadeConfig } from '../../request/config/schema';
import type { EndpointSnapshot, ModelReading } from '../../request/router/dispatch';
import { endpointStats as processStats, type EndpointStats } from '../../watch/telemetry/endpoint-stats';
import { gaugeForModel } from '../../watch/telemetry/prometheus-text';

export interface EndpointSnapshotInput {
  models: { model: string; taskQueue: string }[];
}

/** The part of a Temporal connection the snapshot uses: NativeConnection and Connection both fit. */
export interface TaskQueueDescriber {
  workflowService: Pick<temporal.api.workflowservice.v1.WorkflowService, 'describeTaskQueue'>;
}

export interface EndpointSnapshotDeps {
  connection: TaskQueueDescriber;
  namespace: string;
  /** The worker's config (or a getter, for a config that reloads): metrics URLs and endpoint model names. */
  config: CascadeConfig | (() => CascadeConfig);
  /** Default: the worker process's registry. */
  stats?: EndpointStats;
  /**
   * The models whose calls this process makes (it runs their task-queue workers). Its own view
   * exists only for those: for the others the worker signal is null. Default: every model.
   */
  servedModels?: ReadonlySet<string>;
  fetch?: typeof fetch;
  /** Per signal read (one DescribeTaskQueue, one metrics scrape). Default 1000 ms. */
  timeoutMs?: number;
}

const { TaskQueueKind, TaskQueueType } = temporal.api.enums.v1;

export function createEndpointSnapshot(deps: EndpointSnapshotDeps) {
  const stats = deps.stats ?? processStats;
  const timeoutMs = deps.timeoutMs ?? 1_000;
  const config = typeof deps.config === 'function' ? deps.config : () => deps.config as CascadeConfig;
  const doFetch = deps.fetch ?? fetch;

  async function temporalBacklog(taskQueue: string): Promise<number> {
    const res = await withTimeout(
      deps.connection.workflowService.describeTaskQueue({
        namespace: deps.namespace,
        taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        reportStats: true,
      }),
      timeoutMs,
      `DescribeTaskQueue ${taskQueue}`,
    );
    if (!res.stats) throw new Error(`the server reported no stats for ${taskQueue}`);
    return toNumber(res.stats.approximateBacklogCount);
  }

  async function scrape(url: string): Promise<string> {
    const res = await doFetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'text/plain' },
    });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return res.text();
  }

  async function endpointSnapshot(input: EndpointSnapshotInput): Promise<EndpointSnapshot> {
    const t0 = performance.now();
    const readAt = new Date().toISOString();
    const cfg = config();
    // One scrape per metrics URL, however many models it serves (the recorded server serves all).
    const scrapes = new Map<string, Promise<string>>();
    for (const { model } of input.models) {
      const url = cfg.models[model]?.metrics?.url;
      if (url && !scrapes.has(url)) {
        const text = scrape(url);
        text.catch(() => undefined); // each model's read reports the failure; none is unhandled
        scrapes.set(url, text);
      }
    }
    const models = await Promise.all(
      input.models.map(async ({ model, taskQueue }): Promise<ModelReading> => {
        const errors: string[] = [];
        const local = deps.servedModels && !deps.servedModels.has(model) ? null : stats.reading(model);
        const [backlog, endpointQueue] = await Promise.all([
          temporalBacklog(taskQueue).catch((err: unknown) => {
            errors.push(`temporalBacklog: ${message(err)}`);
            return null;
          }),
          endpointQueueOf(cfg, model, scrapes).catch((err: unknown) => {
            errors.push(`endpointQueue: ${message(err)}`);
            return null;
          }),
        ]);
        return {
          model,
          temporalBacklog: backlog,
          workerInFlight: local ? local.inFlight : null,
          endpointQueue,
          observedServiceMs:
            local?.medianLatencyMs == null ? null : Math.round(local.medianLatencyMs * 10) / 10,
          observedSamples: local?.samples ?? 0,
          observedTokensOut: local?.medianTokensOut ?? null,
          ...(errors.length > 0 ? { errors } : {}),
        };
      }),
    );
    return { readAt, readMs: Math.round((performance.now() - t0) * 1000) / 1000, models };
  }

  return { endpointSnapshot };
}

/** The endpoint's queue gauge for one model; null when the model has no metrics configured. */
async function endpointQueueOf(
  cfg: CascadeConfig,
  model: string,
  scrapes: Map<string, Promise<string>>,
): Promise<number | null> {
  const m = cfg.models[model];
  if (!m) throw new Error(`model "${model}" is not in this worker's config`);
  if (!m.metrics) return null;
  const text = await scrapes.get(m.metrics.url)!;
  const name = m.model ?? model;
  const value = gaugeForModel(text, m.metrics.queueMetric, name);
  if (value === null)
    throw new Error(`${m.metrics.url} has no ${m.metrics.queueMetric} series for model "${name}"`);
  return value;
}

function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export type EndpointSnapshotActivities = ReturnType<typeof createEndpointSnapshot>;
