/**
 * `describe` for a suite that measures on the shared recorded-outcome sets (../shared/data), the
 * only kind of test allowed to read them; such suites live in test/shared/. Without the data the
 * suite is skipped, and test/helpers/shared-data-reporter.ts prints one notice for the whole run
 * naming every suite that did not run; under CI=true it fails instead, as the ledger tests do
 * without PostgreSQL (test/helpers/ledgers.ts): CI must never lose these measurements silently.
 */
import { describe, it } from 'vitest';
import {
  hasSharedData,
  SHARED_DATA_DIR,
  SHARED_DATA_HOWTO,
  SHARED_SKIP_TEST,
  sharedDataMissing,
} from './shared-data';

export function describeShared(title: string, body: () => void): void {
  describe(title, () => {
    if (hasSharedData()) {
      body();
      return;
    }
    if (process.env.CI === 'true') {
      it(`runs on the shared data (${SHARED_DATA_DIR})`, () => {
        throw new Error(
          `the shared data folder is required under CI=true: ${sharedDataMissing()}; ${SHARED_DATA_HOWTO}`,
        );
      });
      return;
    }
    it.skip(SHARED_SKIP_TEST, () => undefined);
  });
}
