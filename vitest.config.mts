import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The replay recorder (test/replay/record.test.ts) writes fixtures; it is not a test, so it
    // is part of the run only when asked: RECORD_REPLAY=1 npx vitest run test/replay/record.test.ts
    exclude: process.env.RECORD_REPLAY === '1' ? [] : ['test/replay/record.test.ts'],
    // One Temporal dev server and one workflow bundle for the whole run (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-runtime.ts'],
    // Temporal's native bridge is happiest in child processes rather than worker threads.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: [
      'default',
      ['json', { outputFile: '.cascade/test-results.json' }],
      // One notice for the run when suites of test/shared/ were skipped for want of ../shared/data.
      './test/helpers/shared-data-reporter.ts',
    ],
  },
});
