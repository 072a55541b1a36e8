import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

// Model-queue workers run activities only, by design; the SDK warns about each of them.
const EXPECTED = /^No workflows registered, not polling for workflow tasks/;

export interface RuntimeOptions {
  /**
   * Serve the Temporal SDK's own worker metrics (task slots, poll and schedule-to-start
   * latencies, sticky cache, ...) in the Prometheus format at `<bindAddress>/metrics`, e.g.
   * `0.0.0.0:9465`. Beside, not inside, the worker's `cascade_*` metrics (port 9464).
   */
  sdkMetricsBindAddress?: string;
}

/** What was installed: where the SDK's metrics are served, or why they are not. */
export interface InstalledRuntime {
  sdkMetricsUrl: string | null;
  /** Set when the SDK metrics were asked for but could not be served (e.g. the port is busy). */
  sdkMetricsError: string | null;
}

/**
 * Installs the Temporal runtime of a worker process once: its log level (worker lifecycle lines
 * are INFO, too chatty for a terminal), without the warnings our layout makes expected, and
 * optionally the SDK's Prometheus exporter. A busy metrics port does not stop the process: the
 * runtime is installed without the exporter and the reason is returned.
 */
export function installRuntime(level: LogLevel = 'WARN', opts: RuntimeOptions = {}): InstalledRuntime {
  const plain = new DefaultLogger(level);
  const logger = new DefaultLogger(level, (entry: LogEntry) => {
    if (EXPECTED.test(entry.message)) return;
    plain.log(entry.level, entry.message, entry.meta);
  });
  const install = (withMetrics: boolean) =>
    Runtime.install({
      logger,
      ...(withMetrics && opts.sdkMetricsBindAddress
        ? {
            telemetryOptions: {
              metrics: {
                prometheus: {
                  bindAddress: opts.sdkMetricsBindAddress,
                  // Prometheus naming: counters end in _total, durations in seconds named so.
                  countersTotalSuffix: true,
                  unitSuffix: true,
                  useSecondsForDurations: true,
                },
              },
            },
          }
        : {}),
    });
  let sdkMetricsError: string | null = null;
  try {
    try {
      install(true);
    } catch (err) {
      if (/already/i.test(String(err)) || !opts.sdkMetricsBindAddress) throw err;
      sdkMetricsError = `SDK metrics not served on ${opts.sdkMetricsBindAddress}: ${(err as Error).message}`;
      install(false);
    }
  } catch (err) {
    // Already installed in this process (a second command, or a test): keep the first.
    if (!/already/i.test(String(err))) throw err;
    return {
      sdkMetricsUrl: null,
      sdkMetricsError: opts.sdkMetricsBindAddress ? 'the Temporal runtime was already installed' : null,
    };
  }
  const url =
    opts.sdkMetricsBindAddress && !sdkMetricsError
      ? `http://${opts.sdkMetricsBindAddress.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}/metrics`
      : null;
  return { sdkMetricsUrl: url, sdkMetricsError };
}
