/**
 * Re-records the replay fixtures (test/replay/<name>.json) from real runs: the scenarios of
 * ./scenarios.ts as real cascade workflows on the run's dev server, the recorded-model server
 * serving test/fixtures/replay-rows.jsonl, faults scripted where a scenario needs them.
 *
 *   RECORD_REPLAY=1 npx vitest run test/replay/record.test.ts
 *   RECORD_REPLAY=1 RECORD_ONLY=shadow-pair npx vitest run test/replay/record.test.ts
 *
 * Skipped otherwise. A recording is written only after its trace shows what the fixture's name
 * promises. Each history is written in the SDK's JSON history format (historyToJson of
 * src/doors/client/replay.ts, the format `temporal workflow show --output json` writes), with the
 * `identity` fields (pid@hostname of the recording machine) replaced and the project's absolute
 * path in failure stack traces shortened to `<project>`: neither takes part in replay.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyToJson } from '../../src/doors/client/replay';
import { readRows } from '../helpers/rows';
import { scriptFaults, startStack, type Stack } from '../helpers/stack';
import { fixturePath, MONITOR_FIXTURE, REPLAY_STACK, ROWS_FILE, SCENARIOS } from './scenarios';

const RECORD = process.env.RECORD_REPLAY === '1';
// RECORD_ONLY=a,b re-records just those scenarios: older fixtures stay as recorded by older
// code, which is what proves that new code still replays them.
const ONLY = process.env.RECORD_ONLY?.split(',').map((s) => s.trim());
const IDENTITY = 'cascade-replay-recorder';
const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** Replaces the recording machine's traces: `identity` (pid@hostname) and absolute paths. */
function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === 'identity' && typeof v === 'string' ? IDENTITY : scrub(v),
      ]),
    );
  }
  return typeof value === 'string' ? value.split(PROJECT_ROOT).join('<project>') : value;
}

const CASCADE_SCENARIOS = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.name));

describe.skipIf(!RECORD || CASCADE_SCENARIOS.length === 0)(
  'record the replay fixtures (RECORD_REPLAY=1)',
  () => {
    let stack: Stack;
    const stamp = Date.now().toString(36);

    beforeAll(async () => {
      stack = await startStack(REPLAY_STACK);
    });
    afterAll(async () => stack?.close());

    for (const scenario of CASCADE_SCENARIOS) {
      it(`records ${scenario.name}`, async () => {
        const row = readRows(ROWS_FILE).find((r) => r.id === scenario.rowId);
        expect(row, `row ${scenario.rowId} in ${ROWS_FILE}`).toBeDefined();
        if (scenario.faults) {
          await scriptFaults(stack.recorded, scenario.faults.model, scenario.faults.sequence);
        }
        const trace = await stack.cascade.run({
          id: `replay-${scenario.name}-${stamp}`,
          task: scenario.task,
          prompt: row!.prompt,
          ...(row!.system ? { system: row!.system } : {}),
        });
        scenario.expectTrace(trace);
        const write = async (workflowId: string, name: string) => {
          const fetched = await stack.client.workflow.getHandle(workflowId).fetchHistory();
          fs.writeFileSync(fixturePath(name), JSON.stringify(scrub(historyToJson(fetched)), null, 2) + '\n');
        };
        await write(trace.requestId, scenario.name);
        for (const other of scenario.alsoRecord ?? []) {
          const workflowId = `${trace.requestId}${other.workflowIdSuffix}`;
          other.expectTrace(await stack.client.workflow.getHandle(workflowId).result());
          await write(workflowId, other.name);
        }
      });
    }
  },
);

describe.skipIf(!RECORD || (ONLY && !ONLY.includes(MONITOR_FIXTURE)))(
  'record the monitor evaluation fixture (RECORD_REPLAY=1)',
  () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(REPLAY_STACK);
    });
    afterAll(async () => stack?.close());

    it(`records ${MONITOR_FIXTURE}`, async () => {
      const workflowId = `replay-${MONITOR_FIXTURE}-${Date.now().toString(36)}`;
      const result = await stack.client.workflow.execute('monitorWorkflow', {
        workflowId,
        taskQueue: stack.taskQueue,
        args: [{}],
      });
      expect(result).toMatchObject({ evaluationId: workflowId });
      expect(await stack.workers.ledger!.latestEvaluation()).toMatchObject({ id: workflowId });
      const fetched = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      fs.writeFileSync(
        fixturePath(MONITOR_FIXTURE),
        JSON.stringify(scrub(historyToJson(fetched)), null, 2) + '\n',
      );
    });
  },
);
