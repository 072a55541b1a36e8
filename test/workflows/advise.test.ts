/**
 * `cascade advise --profile`: rows of the synthetic sets (data/synthetic) profiled through their
 * models as workflows (dev server, workers, recorded-model server), then advised with the
 * guarantee (the ladder chosen among every profiled model, as `cascade calibrate --candidates`
 * chooses it): a calibrated cascade for mmlu_qwen (gpt-4o-mini, the two qwen2.5 and gpt-4o
 * profiled), static large for truthfulqa_llama (llama3.1-8b -> llama3.1-405b), with the figures
 * behind each printed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { adviseCommand } from '../../src/cli/commands/advise';
import { profileCommand } from '../../src/cli/commands/profile';
import { shippedData } from '../helpers/data';
import { readRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_qwen.jsonl');
const TRUTHFUL = shippedData('synthetic/truthfulqa_llama.jsonl');
let stack: Stack;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'advise-'));
  stack = await startStack({
    dataFiles: [MMLU, TRUTHFUL],
    models: {
      'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6, concurrency: 16 },
      'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10, concurrency: 16 },
      'qwen2.5-32b-coder-instruct': { inputPerMTok: 0.8, outputPerMTok: 0.8, concurrency: 16 },
      'qwen2.5-72b-instruct': { inputPerMTok: 0.9, outputPerMTok: 0.9, concurrency: 16 },
      'llama3.1-8b': { inputPerMTok: 0.2, outputPerMTok: 0.2, concurrency: 16 },
      'llama3.1-405b': { inputPerMTok: 3, outputPerMTok: 3, concurrency: 16 },
    },
    tasks: { mmlu: { route: 'static', rungs: [{ model: 'gpt-4o' }] } },
    recorded: { concurrency: 16 },
  });
});
afterAll(async () => {
  await stack?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const capture = () => {
  let text = '';
  return { write: (s: string) => ((text += s), true), text: () => text };
};

async function profile(name: string, file: string, models: string[]): Promise<string> {
  const sample = path.join(dir, `${name}.jsonl`);
  fs.writeFileSync(
    sample,
    readRows(file)
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const out = path.join(dir, name);
  const code = await profileCommand({
    file: sample,
    models: models.map((m) => stack.modelId(m)),
    config: stack.config,
    cascade: stack.cascade,
    out,
    profileId: `${name}-${Date.now().toString(36)}`,
    concurrency: 32,
    json: true,
    stdout: capture(),
    stderr: capture(),
  });
  expect(code).toBe(0);
  return out;
}

describe('cascade advise on profiles', () => {
  it('recommends a calibrated cascade for mmlu_qwen and static for truthfulqa_llama, with the figures', async () => {
    const mmlu = await profile('mmlu-qwen', MMLU, [
      'gpt-4o-mini',
      'qwen2.5-32b-coder-instruct',
      'qwen2.5-72b-instruct',
      'gpt-4o',
    ]);
    const truthful = await profile('truthfulqa-llama', TRUTHFUL, ['llama3.1-8b', 'llama3.1-405b']);
    const base = {
      monthlyTokens: 200e6,
      target: 0.97,
      confidence: 0.95,
      resamples: 1000,
      classifier: false,
      costPerAction: 0.000025,
    };

    const md = capture();
    const m = adviseCommand({ ...base, profile: mmlu, stdout: md });
    console.log(md.text());
    const [a] = m.advice;
    expect(a!.small).toBe(stack.modelId('gpt-4o-mini'));
    expect(a!.large).toBe(stack.modelId('gpt-4o'));
    expect(a!.labelled.rows).toBe(300);
    expect(a!.labelled.labelSource).toBe('recorded-label');
    expect(a!.recommendation.kind).toBe('calibrated-cascade');
    expect(a!.fit!.artefact.candidates).toHaveLength(4);
    expect(a!.labelled.chosen!.lowerBound).toBeGreaterThanOrEqual(0.97);
    expect(a!.recommendation.monthlySavingUsd!).toBeGreaterThan(0);
    expect(md.text()).toMatch(/\*\*Recommendation: calibrated cascade\.\*\*/);
    expect(md.text()).toMatch(/Spend vs break-even/);
    expect(md.text()).toMatch(/Labelled data\*\* \(300 rows/);

    const t = adviseCommand({ ...base, profile: truthful, stdout: capture() });
    const [b] = t.advice;
    console.log(b!.recommendation, b!.labelled.note, b!.bimodality.note);
    expect(b!.recommendation).toMatchObject({
      kind: 'static-large',
      model: stack.modelId('llama3.1-405b'),
      monthlySavingUsd: 0,
    });
    expect(b!.bimodality.verdict).toBe('everything-large');

    // --json: one document; --config-snippet: YAML of the tasks section, the cascade's artefact written.
    const js = capture();
    adviseCommand({ ...base, profile: mmlu, json: true, stdout: js });
    const doc = JSON.parse(js.text()) as { tasks: { recommendation: { kind: string } }[] };
    expect(doc.tasks[0]!.recommendation.kind).toBe('calibrated-cascade');
    const snip = capture();
    adviseCommand({
      ...base,
      profile: mmlu,
      configSnippet: true,
      calibrationsOut: path.join(dir, 'cal'),
      stdout: snip,
    });
    const yaml = YAML.parse(snip.text()) as {
      tasks: Record<string, { route: string; calibration: string; rungs: { model: string }[] }>;
    };
    expect(yaml.tasks.mmlu!.route).toBe('cascade');
    expect(yaml.tasks.mmlu!.rungs.map((r) => r.model)).toEqual(a!.fit!.artefact.ladder);
    expect(fs.existsSync(yaml.tasks.mmlu!.calibration)).toBe(true);
  }, 300_000);
});
