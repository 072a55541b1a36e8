/**
 * A gateway in the same process as a worker, sharing the worker's NativeConnection. SDK 1.24
 * does eager workflow start only for a Client built on a NativeConnection (the capability flag
 * `supportsEagerStart`): with `requestEagerStart`, the server hands the new workflow's first task
 * back in the start response to a worker of this connection polling the same namespace and task
 * queue, saving the round trip through the task queue's matching service. Used by
 * `cascade gateway` (unless `--no-worker`) and `cascade dev`.
 */
import type { PayloadCodec } from '@temporalio/common';
import { CascadeClient } from '../client/cascade-client';
import type { LoadedConfig } from '../../request/config-file/load';
import type { RunningWorkers } from '../../temporal/worker';
import { startGateway, type GatewayOptions, type RunningGateway } from './server';

export async function startGatewayOnWorkers(
  opts: Omit<GatewayOptions, 'cascade'> & {
    workers: RunningWorkers;
    config: LoadedConfig | (() => LoadedConfig);
    namespace: string;
    /** The workers' cascade task queue (default `cascade`). */
    taskQueue?: string;
    payloadCodec?: PayloadCodec;
    host?: string;
    port?: number;
  },
): Promise<RunningGateway> {
  const cascade = CascadeClient.onWorkers(opts.workers, {
    config: opts.config,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    payloadCodec: opts.payloadCodec,
  });
  // The connection and the ledger are the workers': closing the gateway leaves them open.
  return startGateway({ eagerStart: true, ...opts, cascade });
}
