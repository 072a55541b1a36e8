/**
 * The dynamic config every dev server this project starts runs with: `cascade dev`, the test
 * run (test/global-setup.ts) and the benches (bench/lib/stack.ts), so what the tests exercise and
 * the benches measure is what a user runs. docs/deploy.md gives the production counterparts.
 *
 * The dev server has ONE history shard, and each shard's queue processors read their queues at
 * most 20 times a second by default: every workflow-task, activity-task and timer dispatch of the
 * whole server waits for that pacing (about +50 ms per dispatch at low load, and a ceiling of
 * ~20 dispatches a second per queue under load). A production cluster has hundreds of shards,
 * so the same per-shard rate is no limit there.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: readonly string[] = [
  // New search attributes usable at once instead of after the cache refresh.
  'system.forceSearchAttributesCacheRefreshOnRead=true',
  // Latency-budget dispatch reads task-queue stats (DescribeTaskQueue reportStats), cached 5 s by
  // default: 1 s, as the compose stack's deploy/temporal/dynamicconfig/production-sql.yaml.
  'matching.TaskQueueInfoByBuildIdTTL="1s"',
  // Dispatch without the one-shard pacing (see above).
  'history.transferProcessorMaxPollRPS=2000',
  'history.timerProcessorMaxPollRPS=2000',
  'history.visibilityProcessorMaxPollRPS=2000',
];

/** As `--dynamic-config-value` arguments of `temporal server start-dev`. */
export function devServerDynamicConfigArgs(overrides: readonly string[] = []): string[] {
  const keys = new Set(overrides.map((kv) => kv.slice(0, kv.indexOf('='))));
  return [
    ...DEV_SERVER_DYNAMIC_CONFIG.filter((kv) => !keys.has(kv.slice(0, kv.indexOf('=')))),
    ...overrides,
  ].flatMap((kv) => ['--dynamic-config-value', kv]);
}
