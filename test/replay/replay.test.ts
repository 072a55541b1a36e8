/**
 * Every recorded history in test/replay/*.json replays cleanly against the current workflow
 * code (the run's one workflow bundle, test/global-setup.ts), so a change to src/temporal/workflows/ that
 * would break running workflows fails CI. And the check has teeth: the same histories replayed
 * against a deliberately changed cascadeWorkflow fail with a DeterminismViolationError.
 *
 * Re-record the fixtures with `RECORD_REPLAY=1 npx vitest run test/replay/record.test.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readHistoryFile } from '../../src/doors/client/replay';
import { REPLAY_DIR, SCENARIO_NAMES } from './scenarios';

const files = fs
  .readdirSync(REPLAY_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

async function loadAll(): Promise<HistoryAndWorkflowId[]> {
  return Promise.all(
    files.map(async (f) => ({
      workflowId: path.basename(f, '.json'),
      history: await readHistoryFile(path.join(REPLAY_DIR, f)),
    })),
  );
}

/** The workflow type a history started (its first event). */
function workflowTypeOf(h: HistoryAndWorkflowId): string | null | undefined {
  return (h.history as temporal.api.history.v1.IHistory).events?.[0]?.workflowExecutionStartedEventAttributes
    ?.workflowType?.name;
}

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

describe('recorded histories replay against the current workflow code', () => {
  let histories: HistoryAndWorkflowId[];
  beforeAll(async () => {
    histories = await loadAll();
  });

  it('has a fixture for every recorded scenario (a deleted fixture fails here)', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files.map((f) => path.basename(f, '.json'))).toEqual(expect.arrayContaining(SCENARIO_NAMES));
  });

  it('replays each history cleanly with Worker.runReplayHistories', async () => {
    const results: { workflowId: string; error: string | undefined }[] = [];
    const replays = Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      histories,
    );
    for await (const r of replays) {
      results.push({ workflowId: r.workflowId, error: r.error && `${r.error.name}: ${r.error.message}` });
    }
    expect(results).toEqual(histories.map((h) => ({ workflowId: h.workflowId, error: undefined })));
  });

  describe('against a deliberately non-deterministic cascadeWorkflow', () => {
    let changed: WorkflowBundle;
    beforeAll(async () => {
      changed = await bundleWorkflowCode({
        workflowsPath: require.resolve('./fixtures/nondeterministic-cascade.ts'),
        logger: quiet as never,
      });
    });

    it('runReplayHistory rejects with a DeterminismViolationError', async () => {
      const low = histories.find((h) => h.workflowId === 'low-confidence-escalation')!;
      const err = await Worker.runReplayHistory(
        { workflowBundle: changed },
        low.history,
        low.workflowId,
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeterminismViolationError);
      expect((err as Error).message).toMatch(/nondetermin/i);
    });

    it('fails every recorded history, whatever path it took', async () => {
      const errors: [string, unknown][] = [];
      const cascades = histories.filter((h) => workflowTypeOf(h) === 'cascadeWorkflow');
      expect(cascades.length).toBeGreaterThanOrEqual(5);
      for await (const r of Worker.runReplayHistories({ workflowBundle: changed }, cascades)) {
        errors.push([r.workflowId, r.error]);
      }
      expect(errors).toHaveLength(cascades.length);
      for (const [id, error] of errors) {
        expect(error, id).toBeInstanceOf(DeterminismViolationError);
      }
    });
  });
});
