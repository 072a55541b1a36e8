/**
 * Runs once per `vitest run`: resolves a Temporal CLI with no internet (src/temporal/cli-resolver),
 * starts ONE dev server with the Contracts' search attributes registered, bundles the workflows
 * ONCE, and hands both to every test file through `provide()`. Tests connect their own workers
 * and clients to that server; nothing about Temporal is mocked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { readEnv } from '../src/env';
import { resolveTemporalCli } from '../src/temporal/cli-resolver';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    workflowBundlePath: string;
    /** The resolved Temporal CLI, for tests that run the `cascade` command as a user would. */
    temporalCliPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = readEnv();
  const cli = await resolveTemporalCli({
    explicitPath: env.temporalCliPath,
    cacheDir: env.cacheDir,
    allowSdkDownload: true,
    log: (line) => process.stderr.write(`[global-setup] ${line}\n`),
  });
  const testEnv = await TestWorkflowEnvironment.createLocal({
    server: {
      executable:
        cli.kind === 'path'
          ? { type: 'existing-path', path: cli.path }
          : { type: 'cached-download', downloadDir: cli.downloadDir },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      extraArgs: [
        // New search attributes are usable at once instead of after the cache refresh.
        '--dynamic-config-value',
        'system.forceSearchAttributesCacheRefreshOnRead=true',
        // Task-queue stats (DescribeTaskQueue report_stats, read by latency-budget dispatch) are
        // cached 5 s by default; the latency-budget test watches a backlog form and drain.
        '--dynamic-config-value',
        'matching.TaskQueueInfoByBuildIdTTL="100ms"',
      ],
    },
  });

  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows/index.ts'),
    logger: {
      trace() {},
      debug() {},
      info() {},
      warn: console.warn,
      error: console.error,
      log() {},
    } as never,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-bundle-'));
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  project.provide('temporalAddress', testEnv.address);
  project.provide('temporalNamespace', testEnv.namespace ?? 'default');
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalCliPath', cli.kind === 'path' ? cli.path : '');

  return async () => {
    await testEnv.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
