/**
 * Where the shared recorded-outcome sets live: `../shared/data` beside the project root, or the
 * folder CASCADE_SHARED_DATA names (relative to the project root), as for the demo (src/env.ts).
 * Setting it to a missing folder simulates a machine without the data:
 * `CASCADE_SHARED_DATA=/nonexistent npx vitest run ...`.
 *
 * Most of these sets carry no license: they are read where they lie, never copied into the
 * project, and only the measurements of test/shared/ use them (test/helpers/shared-suite.ts).
 * Tests of code paths read the data the project ships (test/helpers/data.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** The shared data folder this run reads. */
export const SHARED_DATA_DIR = path.resolve(
  PROJECT_ROOT,
  process.env.CASCADE_SHARED_DATA || path.join('..', 'shared', 'data'),
);

/** Absolute path of a file or folder under the shared data folder. */
export function sharedDataPath(...parts: string[]): string {
  return path.join(SHARED_DATA_DIR, ...parts);
}

/** Whether the shared data folder is present (CI always has it). */
export function hasSharedData(): boolean {
  return existsSync(sharedDataPath('README.md'));
}

/** Why the shared data cannot be read (for skip notices and CI failures). */
export function sharedDataMissing(): string {
  return process.env.CASCADE_SHARED_DATA
    ? `CASCADE_SHARED_DATA=${process.env.CASCADE_SHARED_DATA} (${SHARED_DATA_DIR}) has no README.md`
    : `${SHARED_DATA_DIR} (../shared/data beside the clone) was not found`;
}

/** How to get the shared suites to run. */
export const SHARED_DATA_HOWTO =
  'put the shared data folder beside the clone (../shared/data) or set CASCADE_SHARED_DATA=/path/to/data, then run `npx vitest run test/shared`';

/** The name of the placeholder test a skipped shared suite holds (the run's one notice lists them). */
export const SHARED_SKIP_TEST = 'needs the shared data folder';
