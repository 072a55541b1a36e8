/**
 * A vitest reporter that prints ONE notice at the end of a run that skipped suites of test/shared/
 * because the shared data folder is missing: which suites did not run and how to run them. The
 * suites themselves stay quiet (test/helpers/shared-suite.ts), so the notice is not repeated per
 * file or per worker process.
 */
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node' with { 'resolution-mode': 'import' };
import { SHARED_DATA_HOWTO, SHARED_SKIP_TEST, sharedDataMissing } from './shared-data';

export default class SharedDataReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const suites: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests('skipped')) {
        if (test.name !== SHARED_SKIP_TEST) continue;
        const suite = test.parent.type === 'suite' ? test.parent.fullName : '(file)';
        suites.push(`  ${path.relative(process.cwd(), mod.moduleId)} > ${suite}`);
      }
    }
    if (suites.length === 0) return;
    process.stdout.write(
      `\n[shared data] ${suites.length} suite${suites.length === 1 ? '' : 's'} measuring on the shared ` +
        `recorded sets did not run: ${sharedDataMissing()}.\n${suites.join('\n')}\n` +
        `To run them, ${SHARED_DATA_HOWTO}.\n`,
    );
  }
}
