/**
 * GET /health and GET /ready, for load balancers and orchestrators (a Kubernetes liveness and a
 * readiness probe). Neither needs a token: probes carry no credentials, and neither says more
 * than whether this process can serve (no prompt, id, token, address or error text of Temporal's).
 *
 * - /health: the process is up and its HTTP server answers. No Temporal call, so a Temporal
 *   outage never makes an orchestrator restart healthy gateways.
 * - /ready: requests sent here would run. Temporal answers (GetSystemInfo) and at least one
 *   worker has polled the cascade's workflow task queue lately (DescribeTaskQueue): without one,
 *   a started request waits on the queue until its deadline. 503 names the check that failed.
 *
 * /ready costs two Temporal calls. Probes from any number of load balancers (and anyone, since
 * it needs no token) share one check in flight and its result for `cacheMs`, so the load it puts
 * on Temporal is bounded whatever the probe rate.
 */
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from './context';

/** Each Temporal call of a readiness check gets this long. */
const CHECK_TIMEOUT_MS = 2_000;
/**
 * A poller counts when it polled within this window. The server lists pollers for 5 minutes after
 * their last poll (a dead worker would look alive that long); a live worker polls again at least
 * every ~70 s (a long poll's length), so two minutes leaves room for clock skew.
 */
export const POLLER_FRESH_MS = 120_000;
export const DEFAULT_READY_CACHE_MS = 1_000;

export interface CheckResult {
  ok: boolean;
  /** Why it failed (no Temporal error text: the check needs no token). */
  message?: string;
}

export interface Readiness {
  status: 'ready' | 'not_ready';
  /** The checks that failed, in order. */
  failed: string[];
  checks: {
    temporal: CheckResult;
    worker: CheckResult & { taskQueue: string; pollers?: number };
  };
}

/** A gRPC status as a word (an error's text could name internal addresses). */
function grpcCode(err: unknown): string {
  const code =
    (err as { code?: unknown; cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code;
  return typeof code === 'number' ? `gRPC status ${code}` : 'no answer';
}

export async function checkReadiness(ctx: GatewayContext, taskQueue: string): Promise<Readiness> {
  const connection = ctx.cascade.client.connection;
  const service = connection.workflowService;
  const worker: Readiness['checks']['worker'] = { ok: false, taskQueue };
  try {
    await connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => service.getSystemInfo({}));
  } catch (err) {
    return {
      status: 'not_ready',
      failed: ['temporal', 'worker'],
      checks: {
        temporal: { ok: false, message: `Temporal did not answer GetSystemInfo (${grpcCode(err)})` },
        worker: { ...worker, message: 'not checked: Temporal is unreachable' },
      },
    };
  }
  try {
    const res = await connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
      service.describeTaskQueue({
        namespace: ctx.namespace,
        taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      }),
    );
    const now = Date.now();
    const fresh = (res.pollers ?? []).filter((p) => {
      const last = optionalTsToMs(p.lastAccessTime);
      return last === undefined || now - last <= POLLER_FRESH_MS;
    });
    worker.pollers = fresh.length;
    if (fresh.length > 0) worker.ok = true;
    else worker.message = `no worker polls the workflow task queue "${taskQueue}": requests would wait`;
  } catch (err) {
    worker.message = `DescribeTaskQueue failed (${grpcCode(err)})`;
  }
  return {
    status: worker.ok ? 'ready' : 'not_ready',
    failed: worker.ok ? [] : ['worker'],
    checks: { temporal: { ok: true }, worker },
  };
}

export function registerHealth(
  app: FastifyInstance,
  ctx: GatewayContext,
  opts: { taskQueue: string; cacheMs?: number },
): void {
  const cacheMs = opts.cacheMs ?? DEFAULT_READY_CACHE_MS;
  let inFlight: Promise<Readiness> | null = null;
  let last: { at: number; result: Readiness } | null = null;
  const readiness = (): Promise<Readiness> => {
    if (last && Date.now() - last.at < cacheMs) return Promise.resolve(last.result);
    inFlight ??= checkReadiness(ctx, opts.taskQueue)
      .then((result) => {
        last = { at: Date.now(), result };
        return result;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };

  app.get('/health', async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  app.get('/ready', async (_req, reply) => {
    const result = await readiness();
    return reply
      .status(result.status === 'ready' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(result);
  });
}
