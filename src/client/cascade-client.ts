/**
 * What backend jobs import: start a cascade, wait for it, fetch its trace, export its history.
 *
 *   const cascade = await CascadeClient.connect({ config: loadConfig('cascade.config.yaml') });
 *   const trace = await cascade.run({ id: 'req-1', task: 'mmlu', prompt: '...' });
 *
 * The workflow id is the request id, started with REJECT_DUPLICATE + USE_EXISTING: a repeated
 * id (a retried job, a double click) joins or returns the first run instead of paying twice.
 */
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { LoadedConfig } from '../config/load';
import { CASCADE_TASK_QUEUE, type CascadeInput } from '../router/cascade-input';
import type { Trace } from '../router/trace';
import { defaultSearchAttributes } from '../../workflows/search-attributes';
import type { cascadeWorkflow } from '../../workflows/cascade';
import { prepareCascade } from './prepare';
import { historyToJson } from './replay';

export interface CascadeClientOptions {
  client: Client;
  /** A config, or where to get the one in force (a ConfigWatcher's `current`) for hot reload. */
  config: LoadedConfig | (() => LoadedConfig);
  /** The `cascade` task queue unless a test runs its own. */
  taskQueue?: string;
  /** The `cascade-shadow` task queue unless a test runs its own. */
  shadowTaskQueue?: string;
}

export interface StartedCascade {
  requestId: string;
  handle: WorkflowHandle<typeof cascadeWorkflow>;
}

export interface CancelOutcome {
  requestId: string;
  /** The run the cancellation was asked of. */
  runId: string;
  /** True when a cancellation was requested now; false when the request had already finished. */
  requested: boolean;
  /** The workflow's status when it was looked at (RUNNING when the cancellation was requested). */
  status: string;
}

export class CascadeClient {
  readonly client: Client;
  private readonly configSource: () => LoadedConfig;
  private readonly taskQueue: string;
  private readonly shadowTaskQueue: string | undefined;

  constructor(opts: CascadeClientOptions) {
    this.client = opts.client;
    const config = opts.config;
    this.configSource = typeof config === 'function' ? config : () => config;
    this.taskQueue = opts.taskQueue ?? CASCADE_TASK_QUEUE;
    this.shadowTaskQueue = opts.shadowTaskQueue;
  }

  /** The config new requests are resolved with (the latest good one, under hot reload). */
  get config(): LoadedConfig {
    return this.configSource();
  }

  static async connect(opts: {
    config: LoadedConfig | (() => LoadedConfig);
    address?: string;
    namespace?: string;
    taskQueue?: string;
  }): Promise<CascadeClient> {
    const connection = await Connection.connect({ address: opts.address ?? 'localhost:7233' });
    const loaded = typeof opts.config === 'function' ? opts.config() : opts.config;
    const client = new Client({ connection, namespace: opts.namespace ?? loaded.config.temporal.namespace });
    return new CascadeClient({ client, config: opts.config, taskQueue: opts.taskQueue });
  }

  /** Validates and resolves a request without starting anything (throws RequestError). */
  prepare(raw: unknown): CascadeInput {
    return prepareCascade(raw, this.config, { shadowTaskQueue: this.shadowTaskQueue });
  }

  async start(raw: unknown): Promise<StartedCascade> {
    const input = this.prepare(raw);
    const { request, policy } = input;
    const workflowId = request.id;
    try {
      const handle = await this.client.workflow.start<typeof cascadeWorkflow>('cascadeWorkflow', {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        typedSearchAttributes: defaultSearchAttributes(policy.route, request.task, false),
        // Summaries are readable in the UI even with an encrypting codec: never prompt text here.
        staticSummary: `${request.task} via ${policy.route}: ${policy.rungs.map((r) => r.model).join(' -> ')}`,
        staticDetails: [
          `config ${policy.configVersion}, calibration ${policy.calibrationVersion}`,
          ...policy.rungs.map(
            (r, i) =>
              `rung ${i + 1}: ${r.model}` +
              (r.threshold !== null ? ` (${r.confidence} >= ${r.threshold})` : '') +
              ` on ${r.taskQueue}`,
          ),
        ].join('\n'),
      });
      // While the first run is open, USE_EXISTING hands back that run instead of a new one.
      return { requestId: workflowId, handle };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Closed already (REJECT_DUPLICATE): the first run's result stands.
        return { requestId: workflowId, handle: this.client.workflow.getHandle(workflowId) };
      }
      throw err;
    }
  }

  /** Starts (or joins) a cascade and waits for its trace. */
  async run(raw: unknown): Promise<Trace> {
    const { handle } = await this.start(raw);
    return handle.result();
  }

  /** The trace of a request: the live `trace` query while it runs, its result once done. */
  async trace(requestId: string): Promise<Trace> {
    const handle = this.client.workflow.getHandle<typeof cascadeWorkflow>(requestId);
    const desc = await handle.describe();
    if (desc.status.name === 'COMPLETED') return handle.result();
    return handle.query<Trace>('trace');
  }

  /**
   * Cancels a running request. The workflow is cancelled; its in-flight model call is aborted
   * (the activity learns it from its heartbeat and aborts the HTTP call through its AbortSignal);
   * it records what happened so far (trace status `cancelled`, search attributes) and ends
   * CANCELLED, so `result()` rejects with a cancellation. Resolves once the cancellation is
   * requested, not when the workflow has closed. A request that already finished is left alone
   * (`requested: false` with its status). An unknown id throws WorkflowNotFoundError.
   */
  async cancel(requestId: string): Promise<CancelOutcome> {
    const desc = await this.client.workflow.getHandle(requestId).describe();
    const closed = (status: string): CancelOutcome => ({
      requestId,
      runId: desc.runId,
      requested: false,
      status,
    });
    if (desc.status.name !== 'RUNNING') return closed(desc.status.name);
    try {
      await this.client.workflow.getHandle(requestId, desc.runId).cancel();
    } catch (err) {
      // It finished between the look and the cancel: the server says the run is gone.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const now = await this.client.workflow.getHandle(requestId, desc.runId).describe();
      return closed(now.status.name);
    }
    return { requestId, runId: desc.runId, requested: true, status: desc.status.name };
  }

  /** The workflow's full event history as JSON (the format `cascade replay` and the SDK read). */
  async exportHistory(requestId: string): Promise<unknown> {
    const history = await this.client.workflow.getHandle(requestId).fetchHistory();
    return historyToJson(history);
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }
}
