/**
 * Control without redeploys: a kill switch, a model override and a rollout percentage edited in
 * the config file take effect for the next requests, with the new config version in their trace.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CascadeClient } from '../../src/client/cascade-client';
import type { LoadedConfig } from '../../src/config/load';
import { ConfigWatcher } from '../../src/config/watch';
import { unitHash } from '../../src/router/hash';
import { pickRows } from '../helpers/rows';
import { sharedDataPath } from '../helpers/shared-data';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = sharedDataPath('cascades/mmlu_llama_train.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';

let stack: Stack;
let file: string;
let watcher: ConfigWatcher;
let cascade: CascadeClient;
const errors: Error[] = [];
let seq = 0;

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
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.7 }, { model: LARGE }],
      },
      half: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.7 }, { model: LARGE }],
        rollout: 50,
      },
    },
  });
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'control-')), 'cascade.config.yaml');
  fs.writeFileSync(file, stringify(stack.config.config));
  watcher = new ConfigWatcher(file, { intervalMs: 50, onError: (e) => errors.push(e) });
  cascade = new CascadeClient({
    client: stack.client,
    config: () => watcher.current(),
    taskQueue: stack.taskQueue,
    shadowTaskQueue: stack.shadowTaskQueue,
  });
});
afterAll(async () => {
  watcher?.close();
  await stack?.close();
});

/** Edits the config file and waits (bounded) until the watcher has the new version. */
async function editConfig(
  change: (cfg: { tasks: Record<string, Record<string, unknown>> }) => void,
): Promise<LoadedConfig> {
  const before = watcher.current().version;
  const cfg = structuredClone(watcher.current().config) as unknown as {
    tasks: Record<string, Record<string, unknown>>;
  };
  change(cfg);
  fs.writeFileSync(file, stringify(cfg));
  for (let i = 0; i < 200 && watcher.current().version === before; i++)
    await new Promise((r) => setTimeout(r, 25));
  expect(watcher.current().version).not.toBe(before);
  return watcher.current();
}

const [row] = pickRows(MMLU, 1, (r) => Math.exp(r.models[SMALL]!.raw_confidence!) > 0.8);
const request = (task = 'mmlu') => ({ ...row!, id: `control-${++seq}-${Date.now().toString(36)}`, task });

describe('operational control from the config file', () => {
  it('a kill switch, then a model override, change the route of the next requests without a restart', async () => {
    const routed = await cascade.run(request());
    expect(routed).toMatchObject({ route: 'cascade', final: { model: stack.modelId(SMALL) } });
    expect(routed.policy).toMatchObject({ servedAs: 'routed', configVersion: stack.config.version });

    const killed = await editConfig((cfg) => (cfg.tasks.mmlu!.killSwitch = true));
    const afterKill = await cascade.run(request());
    expect(afterKill.route).toBe('static');
    expect(afterKill.policy).toMatchObject({ servedAs: 'kill-switch', configVersion: killed.version });
    expect(afterKill.final.model).toBe(stack.modelId(LARGE));
    expect(afterKill.decision).toBeNull();

    const overridden = await editConfig((cfg) => {
      cfg.tasks.mmlu!.killSwitch = false;
      cfg.tasks.mmlu!.overrideModel = stack.modelId(SMALL);
    });
    const afterOverride = await cascade.run(request());
    expect(afterOverride).toMatchObject({ route: 'static', final: { model: stack.modelId(SMALL) } });
    expect(afterOverride.policy).toMatchObject({ servedAs: 'override', configVersion: overridden.version });
  });

  it('a broken edit is reported and ignored: the last good config stays in force', async () => {
    const good = watcher.current().version;
    fs.writeFileSync(file, 'models: [this is not a config');
    for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(errors[0]?.message).toMatch(/Invalid config/);
    expect(watcher.current().version).toBe(good);
    const trace = await cascade.run(request());
    expect(trace.policy.configVersion).toBe(good);
  });

  it('rollout serves a stable share of request ids by the route and the rest by the baseline', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `rollout-${i}`);
    const decide = (id: string) => stack.cascade.prepare({ ...row!, id, task: 'half' }).policy.servedAs;
    const routed = ids.filter((id) => decide(id) === 'routed');
    expect(routed).toEqual(ids.filter((id) => unitHash(`rollout:${id}`) < 0.5));
    expect(routed.length).toBeGreaterThan(80);
    expect(routed.length).toBeLessThan(120);
    expect(ids.filter((id) => decide(id) === 'baseline-rollout')).toHaveLength(200 - routed.length);
    // The same id always gets the same decision.
    expect(ids.map(decide)).toEqual(ids.map(decide));
  });
});
