/**
 * GET /metrics: the gateway's own Prometheus metrics (deploy/prometheus scrapes it on the
 * gateway's port, without a token: counts and latencies only, never a prompt, id or token).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import type { GatewayContext } from './context';
import type { InternalRequests } from './internal-request';

export function registerMetrics(app: FastifyInstance, ctx: GatewayContext, internal: InternalRequests): void {
  const registry = new Registry();
  const requests = new Counter({
    name: 'cascade_gateway_requests_total',
    help: 'Gateway HTTP requests by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'cascade_gateway_request_duration_seconds',
    help: 'Gateway request duration (a completion waits for its checked answer)',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  new Counter({
    name: 'cascade_gateway_workflow_starts_total',
    help: 'Completions that started or joined a workflow',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(ctx.stats.started);
    },
  });
  new Counter({
    name: 'cascade_gateway_eager_starts_total',
    help: 'Workflow starts the server ran eagerly on this process (gateway with a worker)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(ctx.stats.eagerlyStarted);
    },
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    // The Anthropic door's in-process chat completion is part of the caller's one request.
    if (route === '/metrics' || internal.is(req)) return;
    requests.inc({ route, status: String(reply.statusCode) });
    duration.observe({ route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_req, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
