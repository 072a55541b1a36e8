/**
 * The outcome in the Temporal UI once it is known (issue #17): the workflow's current details
 * (the UI's "Current Details", served by the SDK's metadata query) say who answered, each
 * escalation with its reason and the check behind it, and the cost against the strongest rung
 * alone; and the trace leads with the outcome, before the decision's features.
 */
import { workflowMetadataQuery } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const THRESHOLD = 0.7;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      mmlu: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
      },
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

const unsure = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) < THRESHOLD - 0.1;
const confident = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) >= THRESHOLD + 0.05;

async function run(row: DataRow, label: string) {
  const id = `ui-${label}-${Date.now().toString(36)}`;
  const trace = await stack.cascade.run({
    id,
    task: 'mmlu',
    prompt: row.prompt,
    ...(row.system ? { system: row.system } : {}),
  });
  const meta = await stack.client.workflow.getHandle(id).query(workflowMetadataQuery);
  return { trace, details: meta.currentDetails ?? '' };
}

describe('the outcome in the Temporal UI', () => {
  it('an escalated request: who answered, the escalation and its check, the cost against the baseline', async () => {
    const [row] = pickRows(MMLU, 1, unsure);
    const { trace, details } = await run(row!, 'esc');
    expect(trace.escalations.map((e) => e.reason)).toEqual(['low_confidence']);
    expect(details).toContain(`**answered by ${stack.modelId(LARGE)}** (rung 2 of 2)`);
    expect(details).toMatch(
      new RegExp(
        `escalated from ${stack.modelId(SMALL)} to ${stack.modelId(LARGE)}: low_confidence \\(confidence 0\\.\\d\\d < 0\\.70\\)`,
      ),
    );
    expect(details).toMatch(/cost \\\$\d+\.\d+ vs \\\$\d+\.\d+ on the strongest rung alone/);
    expect(details).toMatch(/2 attempts, \d+ Temporal actions/);
    // Never the prompt or the answer (the UI shows details to anyone with namespace access).
    expect(details).not.toContain(row!.prompt.slice(0, 40));
    expect(details).not.toContain(String(trace.final.answer));
    // The trace leads with the outcome.
    expect(Object.keys(trace).slice(0, 6)).toEqual([
      'traceVersion',
      'requestId',
      'status',
      'final',
      'escalations',
      'totals',
    ]);
  });

  it('a request the small model answered: no escalation, and the saving', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    const { details } = await run(row!, 'small');
    expect(details).toContain(`**answered by ${stack.modelId(SMALL)}** (rung 1 of 2)`);
    expect(details).toContain('no escalation');
    expect(details).toMatch(/% saved\)/);
  });
});
