/**
 * What backend jobs import: start a cascade, wait for it, fetch its trace, export its history.
 *
 *   const cascade = await CascadeClient.connect({ config: loadConfig('cascade.config.yaml') });
 *   const trace = await cascade.run({ id: 'req-1', task: 'mmlu', prompt: '...' });
 *
 * The workflow id is the request id, started with REJECT_DUPLICATE + USE_EXISTING: a repeated
 * id (a retried job, a double click) joins or returns the first run instead of paying twice.
 */
import { connectTemporal } from '../../temporal/connection';
import {
  Client,
  type Connection,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { type PayloadCodec, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { codecDataConverter, codecFromEnv } from '../../request/codec/from-env';
import { readEnv } from '../../env';
import type { LoadedConfig } from '../../request/config-file/load';
import { openLedger } from '../../request/ledger/open';
import { checkSpendCap, spendCapMessage } from '../../request/ledger/spend-cap';
import type { FeedbackInput, FeedbackRow, Ledger } from '../../request/ledger/types';
import {
  CASCADE_TASK_QUEUE,
  CASCADE_WORKFLOW_TYPE,
  type CascadeInput,
} from '../../request/router/cascade-input';
import type { Trace } from '../../request/router/trace';
import { defaultSearchAttributes } from '../../temporal/workflows/search-attributes';
import type { cascadeWorkflow } from '../../temporal/workflows/cascade';
import { ControlPlane } from '../../temporal/control-plane';
import { prepareCascade } from './prepare';
import { RequestError } from './request';
import { historyToJson } from './replay';

export interface CascadeClientOptions {
  client: Client;
  /** A config, or where to get the one in force (a ConfigWatcher's `current`) for hot reload. */
  config: LoadedConfig | (() => LoadedConfig);
  /** The `cascade` task queue unless a test runs its own. */
  taskQueue?: string;
  /** The `cascade-shadow` task queue unless a test runs its own. */
  shadowTaskQueue?: string;
  /**
   * The outcome ledger, for per-tenant spend caps at start and for `feedback`. Without one, a
   * request of a tenant that has a cap is refused (the cap cannot be checked) and `feedback`
   * throws.
   */
  ledger?: Ledger;
  /** Close `ledger` when the client closes (default false: the caller owns it). */
  ownsLedger?: boolean;
  /**
   * Ask for eager workflow start on every `start` (default false). Only a Client built on a
   * worker's NativeConnection can be handed the first workflow task: see `CascadeClient.onWorkers`.
   */
  eagerStart?: boolean;
  /** The client's connection belongs to someone else (a worker's): `close()` leaves it open. */
  sharesConnection?: boolean;
  /**
   * The control plane whose overrides (kill switch, rollout, model override set with `cascade
   * control`) new requests obey: by default one reading the `cascade-control` workflow of this
   * client's namespace every second (src/temporal/control-plane.ts); `false` for none.
   */
  control?: ControlPlane | false;
}

export interface StartedCascade {
  requestId: string;
  handle: WorkflowHandle<typeof cascadeWorkflow>;
  /**
   * True when the id was already taken and the handle is the existing run's (a closed run; with
   * `failIfExists`, a running one too); false when this call started the workflow. Absent from
   * callers that do not ask: USE_EXISTING joins a running workflow without saying so.
   */
  existing?: boolean;
  /** The server handed the first workflow task straight to a worker on this connection. */
  eagerlyStarted?: boolean;
}

/** How `start` starts (all optional; the defaults are the contract's REJECT_DUPLICATE + USE_EXISTING). */
export interface StartOptions {
  /** Non-indexed data stored with the workflow (the gateway keeps its request hash here). */
  memo?: Record<string, unknown>;
  /**
   * Eager workflow start: the server returns the first workflow task in the start response, to a
   * worker sharing this client's NativeConnection (SDK 1.24: the Client must be built on it).
   * Default: the client's `eagerStart`.
   */
  requestEagerStart?: boolean;
  /**
   * Refuse to join a running workflow with this id (conflict policy FAIL): the call then returns
   * the existing run's handle with `existing: true`, so the caller can look at it before joining.
   */
  failIfExists?: boolean;
  /**
   * Start this already-resolved input instead of preparing `raw` (profiling runs one request
   * through each candidate model on a static snapshot it built: src/tools/profile/policy.ts).
   */
  prepared?: CascadeInput;
  /** The workflow id, when it is not the request id (profiling: `profile-<id>-<request>-<model>`). */
  workflowId?: string;
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
  readonly ledger: Ledger | undefined;
  /** A ledger `connect` opened, closed with the client. */
  private ownedLedger: Ledger | undefined;
  private readonly eagerStart: boolean;
  /** The connection is a worker's (`onWorkers`): closing the client leaves it open. */
  private readonly sharesConnection: boolean;
  /** The control plane new requests obey (null: none). */
  readonly control: ControlPlane | null;

  constructor(opts: CascadeClientOptions) {
    this.client = opts.client;
    this.ledger = opts.ledger;
    if (opts.ownsLedger) this.ownedLedger = opts.ledger;
    const config = opts.config;
    this.configSource = typeof config === 'function' ? config : () => config;
    this.taskQueue = opts.taskQueue ?? CASCADE_TASK_QUEUE;
    this.shadowTaskQueue = opts.shadowTaskQueue;
    this.eagerStart = opts.eagerStart ?? false;
    this.sharesConnection = opts.sharesConnection ?? false;
    this.control = opts.control === false ? null : (opts.control ?? new ControlPlane(this.client));
    if (opts.control === undefined) void this.control?.start();
  }

  /**
   * A client for a process that runs a worker too (a service that embeds one, the gateway,
   * `cascade dev`): built on the workers' NativeConnection, it starts every
   * request eagerly, so the server hands the first workflow task straight back to this process
   * in the start response instead of through the task queue (docs/architecture.md, "Lean and
   * durable execution"). A lean request that does not retry finishes in that one task. The
   * connection and the ledger stay the workers': `close()` leaves them open.
   */
  static onWorkers(
    workers: { connection: NativeConnection; ledger?: Ledger },
    opts: {
      config: LoadedConfig | (() => LoadedConfig);
      namespace: string;
      taskQueue?: string;
      shadowTaskQueue?: string;
      payloadCodec?: PayloadCodec;
    },
  ): CascadeClient {
    const client = new Client({
      connection: workers.connection,
      namespace: opts.namespace,
      dataConverter: codecDataConverter(opts.payloadCodec),
    });
    return new CascadeClient({
      client,
      config: opts.config,
      taskQueue: opts.taskQueue,
      shadowTaskQueue: opts.shadowTaskQueue,
      ledger: workers.ledger,
      eagerStart: true,
      sharesConnection: true,
    });
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
    /** Open (and migrate) the ledger at this URL for spend caps and feedback; closed with the client. */
    ledgerUrl?: string;
    /** Encrypt/decrypt payloads (docs/encryption.md); default: the codec CASCADE_CODEC_KEYS configures, if any. */
    payloadCodec?: PayloadCodec;
  }): Promise<CascadeClient> {
    const dataConverter = codecDataConverter(opts.payloadCodec ?? codecFromEnv(readEnv()));
    const ledger = opts.ledgerUrl ? await openLedger(opts.ledgerUrl) : undefined;
    let connection: Connection;
    try {
      // An unreachable server is a TemporalUnreachableError saying what to do, within 5 s.
      connection = await connectTemporal(opts.address ?? 'localhost:7233');
    } catch (err) {
      await ledger?.close();
      throw err;
    }
    const loaded = typeof opts.config === 'function' ? opts.config() : opts.config;
    const client = new Client({
      connection,
      namespace: opts.namespace ?? loaded.config.temporal.namespace,
      dataConverter,
    });
    const cascade = new CascadeClient({
      client,
      config: opts.config,
      taskQueue: opts.taskQueue,
      ledger,
      ownsLedger: true,
    });
    // The first requests obey a kill switch set before this process started.
    await cascade.control?.refresh();
    return cascade;
  }

  /**
   * Validates and resolves a request without starting anything (throws RequestError), under the
   * config in force and the control plane's overrides.
   */
  prepare(raw: unknown): CascadeInput {
    return prepareCascade(raw, this.config, {
      shadowTaskQueue: this.shadowTaskQueue,
      ...(this.control ? { control: this.control.current() } : {}),
    });
  }

  /**
   * Refuses a request whose tenant (`metadata.tenant`) has a monthly spend cap it has reached
   * (month-to-date spend in the ledger, UTC), with a RequestError on `metadata.tenant` saying
   * `spend_cap` and the figures. Nothing is started.
   */
  async checkSpendCap(input: CascadeInput): Promise<void> {
    const tenant = input.request.metadata?.tenant;
    if (tenant === undefined || tenant === '') return;
    const name = String(tenant);
    const tenants = this.config.config.tenants;
    const cap = Object.hasOwn(tenants, name) ? tenants[name]!.monthlySpendCapUsd : undefined;
    if (cap === undefined) return;
    if (!this.ledger) {
      throw new RequestError(input.request.id, [
        {
          path: 'metadata.tenant',
          message: `spend_cap: tenant "${name}" has a monthly cap of ${cap} USD, and this client has no ledger to check it against (pass \`ledger\`, or connect with \`ledgerUrl\`)`,
        },
      ]);
    }
    const breach = await checkSpendCap(this.ledger, name, cap);
    if (breach) {
      throw new RequestError(input.request.id, [
        { path: 'metadata.tenant', message: spendCapMessage(breach) },
      ]);
    }
  }

  async start(raw: unknown, opts: StartOptions = {}): Promise<StartedCascade> {
    const input = opts.prepared ?? this.prepare(raw);
    await this.checkSpendCap(input);
    const { request, policy } = input;
    const workflowId = opts.workflowId ?? request.id;
    try {
      const handle = await this.client.workflow.start<typeof cascadeWorkflow>(CASCADE_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: opts.failIfExists
          ? WorkflowIdConflictPolicy.FAIL
          : WorkflowIdConflictPolicy.USE_EXISTING,
        ...(opts.memo ? { memo: opts.memo } : {}),
        ...((opts.requestEagerStart ?? this.eagerStart) ? { requestEagerStart: true } : {}),
        typedSearchAttributes: defaultSearchAttributes(policy.route, request.task, false),
        // Without a codec the UI shows summaries to anyone with namespace access: never prompt text here.
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
      return opts.failIfExists
        ? { requestId: workflowId, handle, existing: false, eagerlyStarted: handle.eagerlyStarted }
        : { requestId: workflowId, handle };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Closed already (REJECT_DUPLICATE): the first run's result stands.
        return {
          requestId: workflowId,
          handle: this.client.workflow.getHandle(workflowId),
          ...(opts.failIfExists ? { existing: true } : {}),
        };
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

  /**
   * Attaches a quality signal that arrived after the fact (a user rating, a downstream
   * validation, an eval score) to a recorded request. Throws UnknownRequestError when the
   * ledger has no such request (it is recorded when its workflow finishes).
   */
  async feedback(requestId: string, feedback: FeedbackInput): Promise<FeedbackRow> {
    if (!this.ledger) {
      throw new Error('this CascadeClient has no ledger: pass `ledger`, or connect with `ledgerUrl`');
    }
    return this.ledger.addFeedback(requestId, feedback);
  }

  /** The workflow's full event history as JSON (the format `cascade replay` and the SDK read). */
  async exportHistory(requestId: string): Promise<unknown> {
    const history = await this.client.workflow.getHandle(requestId).fetchHistory();
    return historyToJson(history);
  }

  async close(): Promise<void> {
    this.control?.close();
    if (!this.sharesConnection) await this.client.connection.close();
    await this.ownedLedger?.close();
  }
}
