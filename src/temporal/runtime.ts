import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

// Model-queue workers run activities only, by design; the SDK warns about each of them.
const EXPECTED = /^No workflows registered, not polling for workflow tasks/;

/**
 * Installs the Temporal runtime of a worker process once: its log level (worker lifecycle lines
 * are INFO, too chatty for a terminal), without the warnings our layout makes expected.
 */
export function installRuntime(level: LogLevel = 'WARN'): void {
  const plain = new DefaultLogger(level);
  const logger = new DefaultLogger(level, (entry: LogEntry) => {
    if (EXPECTED.test(entry.message)) return;
    plain.log(entry.level, entry.message, entry.meta);
  });
  try {
    Runtime.install({ logger });
  } catch (err) {
    // Already installed in this process (a second command, or a test): keep the first.
    if (!/already/i.test(String(err))) throw err;
  }
}
