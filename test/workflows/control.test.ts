/**
 * Control without redeploys: a kill switch, a model override and a rollout percentage edited in
 * the config file take effect for the next requests, with the new config version in their trace;
 * and set once with `cascade control` they reach every client, watching a file or not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CascadeClient } from '../../src/doors/client/cascade-client';
import { loadConfig, type LoadedConfig } from '../../src/request/config-file/load';
import { ControlPlane, sendControlChange } from '../../src/temporal/control-plane';
import { ConfigWatcher } from '../../src/request/config-file/watch';
import { unitHash } from '../../src/request/router/hash';
import { shippedData } from '../helpers/data';
import { pickRows } from '../helpers/rows';
import { runCascade } from '../helpers/cli';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
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

describe('operational control from `cascade control`, reaching clients that watch no config file', () => {
  it('a kill switch set once reaches a plain library client and a second one, then clears', async () => {
    // A control workflow of this test's own (the namespace's `cascade-control` belongs to the CLI test below).
    const workflowId = `cascade-control-${randomUUID()}`;
    const clients = [0, 1].map(
      () =>
        new CascadeClient({
          client: stack.client,
          config: stack.config, // a fixed config: no watcher, no file
          taskQueue: stack.taskQueue,
          shadowTaskQueue: stack.shadowTaskQueue,
          control: new ControlPlane(stack.client, { workflowId, intervalMs: 100 }),
        }),
    );
    for (const c of clients) await c.control!.start();
    try {
      expect((await clients[0]!.run(request())).policy.servedAs).toBe('routed');
      await sendControlChange(
        stack.client,
        { task: 'mmlu', set: { killSwitch: true }, at: Date.now(), by: 'test' },
        { workflowId, taskQueue: stack.taskQueue },
      );
      // Both obey within their read interval (bounded wait; no assertion on time).
      const served = async (c: CascadeClient) => {
        for (let i = 0; i < 100; i++) {
          const policy = c.prepare(request()).policy;
          if (policy.servedAs === 'kill-switch') return policy;
          await new Promise((r) => setTimeout(r, 50));
        }
        return c.prepare(request()).policy;
      };
      for (const c of clients) {
        const policy = await served(c);
        expect(policy.servedAs).toBe('kill-switch');
        expect(policy.configVersion).toMatch(new RegExp(`^${stack.config.version}\\+ctl1$`));
      }
      const trace = await clients[1]!.run(request());
      expect(trace).toMatchObject({ route: 'static', final: { model: stack.modelId(LARGE) } });
      expect(trace.policy.servedAs).toBe('kill-switch');

      // A model override the config does not know is ignored, not fatal; clearing restores the file's policy.
      await sendControlChange(
        stack.client,
        { task: 'mmlu', clear: true, at: Date.now() },
        { workflowId, taskQueue: stack.taskQueue },
      );
      for (let i = 0; i < 100 && clients[0]!.prepare(request()).policy.servedAs !== 'routed'; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(clients[0]!.prepare(request()).policy).toMatchObject({
        servedAs: 'routed',
        configVersion: stack.config.version,
      });
    } finally {
      for (const c of clients) c.control!.close();
    }
  });

  it('refuses ill-formed changes before sending anything', async () => {
    await expect(
      sendControlChange(stack.client, { task: 'mmlu', set: { rollout: 140 }, at: 0 }),
    ).rejects.toThrow(/rollout: a percentage from 0 to 100/);
    await expect(sendControlChange(stack.client, { task: 'mmlu', set: {}, at: 0 })).rejects.toThrow(
      /nothing to set/,
    );
  });

  it('`cascade control set|show|clear` on a task of its own, seen by a default client', async () => {
    const task = `ctl-${randomUUID().slice(0, 8)}`;
    const cfg = structuredClone(stack.config.config) as unknown as { tasks: Record<string, unknown> };
    cfg.tasks[task] = cfg.tasks.mmlu;
    const cfgFile = path.join(path.dirname(file), 'cli-control.yaml');
    fs.writeFileSync(cfgFile, stringify(cfg));
    const args = [
      '--config',
      cfgFile,
      '--address',
      inject('temporalAddress'),
      '--task-queue',
      stack.taskQueue,
    ];
    const set = await runCascade(['control', 'set', task, '--kill-switch', 'on', ...args]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`${task}: kill switch on`);
    const plain = new CascadeClient({
      client: stack.client,
      config: loadConfig(cfgFile),
      taskQueue: stack.taskQueue,
    });
    try {
      await plain.control!.refresh();
      expect(plain.prepare({ ...row!, id: `cli-${seq++}`, task }).policy.servedAs).toBe('kill-switch');
      const shown = await runCascade(['control', 'show', '--json', ...args]);
      expect(JSON.parse(shown.stdout).tasks[task]).toMatchObject({ killSwitch: true });
      const bad = await runCascade(['control', 'set', task, '--rollout', '140', ...args]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--rollout takes a percentage from 0 to 100/);
      const unknown = await runCascade(['control', 'set', 'no-such-task', '--kill-switch', 'on', ...args]);
      expect(unknown.code).toBe(2);
      const cleared = await runCascade(['control', 'clear', task, ...args]);
      expect(cleared.code, cleared.stderr).toBe(0);
      await plain.control!.refresh();
      expect(plain.prepare({ ...row!, id: `cli-${seq++}`, task }).policy.servedAs).toBe('routed');
    } finally {
      await plain.control?.close();
    }
  });
});
