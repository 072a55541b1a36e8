// Each test process installs a quiet Temporal runtime: worker lifecycle INFO lines would
// bury the test output. Warnings and errors still show. A process that runs several test
// files keeps the runtime it installed first (the runtime is a process-wide singleton).
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch (err) {
  if (!/already/i.test(String(err))) throw err;
}
