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
import { devServerDynamicConfigArgs } from '../src/temporal/dev-server-config';
import { ALL_SEARCH_ATTRIBUTES } from '../src/temporal/workflows/search-attributes';

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
      // The project's dev-server settings (src/temporal/dev-server-config.ts), but task-queue stats
      // fresh within 100 ms: the latency-budget test watches a backlog form and drain.
      extraArgs: devServerDynamicConfigArgs(['matching.TaskQueueInfoByBuildIdTTL="100ms"']),
    },
  });

  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/temporal/workflows/index.ts'),
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
