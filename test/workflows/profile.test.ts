/**
 * `cascade profile` on a real dev server and the recorded-model server: a sample of rows of
 * data/synthetic/mmlu_qwen.jsonl through three models as static workflows; then the resumability
 * contract: a profile whose process is killed (SIGKILL, the compiled CLI in a child process)
 * resumes, and the recorded-model server's own request counter shows exactly one model call per
 * (request, model) pair: nothing finished was paid twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import YAML from 'yaml';
import { profileCommand } from '../../src/cli/commands/profile';
import { profileInput, profileWorkflowId } from '../../src/tools/profile/policy';
import { runProfile } from '../../src/tools/profile/run';
import { readSample } from '../../src/tools/profile/sample';
import { PROFILE_FILE, readProfile } from '../../src/tools/profile/store';
import { type summarizeProfile } from '../../src/tools/profile/summary';
import { shippedData } from '../helpers/data';
import { readRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_qwen.jsonl');
const MODELS = ['gpt-4o-mini', 'qwen2.5-72b-instruct', 'gpt-4o'];
const root = path.resolve(__dirname, '../..');

let stack: Stack;
let dir: string;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-'));
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
      'qwen2.5-72b-instruct': { inputPerMTok: 0.9, outputPerMTok: 0.9 },
      'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
    },
    tasks: { mmlu: { route: 'static', rungs: [{ model: 'gpt-4o' }] } },
    // The recorded latency (~0.4-0.7 s a call), so a killed profile has calls in flight.
    recorded: { latencyScale: 1, concurrency: 8 },
  });
});
afterAll(async () => {
  await stack?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** recorded_requests_total per model (all statuses) from the server's /metrics. */
async function requestCounts(): Promise<Record<string, number>> {
  const text = await (await fetch(`${stack.recorded.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^recorded_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const model = /model="([^"]*)"/.exec(m[1]!)?.[1] ?? '';
    out[model] = (out[model] ?? 0) + Number(m[2]);
  }
  return out;
}
const delta = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(MODELS.map((m) => [m, (b[m] ?? 0) - (a[m] ?? 0)]));

function writeSample(name: string, from: number, n: number): string {
  const file = path.join(dir, name);
  const rows = readRows(MMLU).slice(from, from + n);
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

const capture = () => {
  let text = '';
  return { write: (s: string) => ((text += s), true), text: () => text };
};

describe('cascade profile', () => {
  it('runs every request through every model as workflows and records cost, latency and quality', async () => {
    const file = writeSample('sample-a.jsonl', 0, 6);
    const out = path.join(dir, 'a');
    const profileId = `a-${run}`;
    const models = MODELS.map((m) => stack.modelId(m));
    // One pair started before the profile (as a killed run would leave it): collected, not re-run.
    const sample = await readSample(file);
    const first = profileInput(sample.rows[0]!.value, stack.config, models[0]!, { profileId });
    await stack.cascade.start(null, { prepared: first.input, workflowId: first.workflowId });
    await stack.client.workflow.getHandle(first.workflowId).result();

    const before = await requestCounts();
    const stdout = capture();
    const code = await profileCommand({
      file,
      models,
      config: stack.config,
      cascade: stack.cascade,
      out,
      profileId,
      concurrency: 4,
      json: true,
      stdout,
      stderr: capture(),
    });
    expect(code).toBe(0);
    const doc = JSON.parse(stdout.text()) as {
      run: { total: number; finished: number; reattached: number; skipped: number };
      tasks: ReturnType<typeof summarizeProfile>;
    };
    expect(doc.run).toMatchObject({ total: 18, finished: 18, reattached: 1, skipped: 0 });
    // 17 new calls: the pre-started pair was not called again.
    expect(delta(before, await requestCounts())).toEqual({
      'gpt-4o-mini': 5,
      'qwen2.5-72b-instruct': 6,
      'gpt-4o': 6,
    });

    const { records } = readProfile(out);
    expect(records).toHaveLength(18);
    const rows = readRows(MMLU).slice(0, 6);
    for (const r of records) {
      const name = MODELS[models.indexOf(r.model)]!;
      const row = rows.find((x) => x.id === r.requestId)!;
      expect(r.workflowId).toBe(profileWorkflowId(profileId, r.requestId, r.model));
      expect(r.status).toBe('answered');
      expect(r.answer).toBe(row.models[name]!.answer);
      expect(r.quality).toMatchObject({
        correct: row.models[name]!.correct,
        correctSource: 'recorded-label',
        schemaValid: null,
      });
      expect(r.costUsd).toBeGreaterThan(0);
      expect(r.tokensIn).toBe(row.models[name]!.tokens!.in);
      expect(r.latencyMs).toBeGreaterThan(0);
      // static: start, call, upsert (no ledger record for profiling traffic)
      expect(r.orchestrationActions).toBe(3);
    }
    expect(records.filter((r) => r.reattached).map((r) => r.workflowId)).toEqual([first.workflowId]);

    const [task] = doc.tasks;
    expect(task!.task).toBe('mmlu');
    expect(task!.strongest).toBe(stack.modelId('gpt-4o'));
    const strongest = task!.models.find((m) => m.model === stack.modelId('gpt-4o'))!;
    expect(strongest.agreementWithStrongest).toBe(1);
    for (const m of task!.models) {
      const name = MODELS[models.indexOf(m.model)]!;
      const right = rows.filter((r) => r.models[name]!.correct).length;
      expect(m.accuracy).toBeCloseTo(right / 6, 12);
      const agree = rows.filter((r) => r.models[name]!.answer === r.models['gpt-4o']!.answer).length;
      expect(m.agreementWithStrongest).toBeCloseTo(agree / 6, 12);
    }

    // Run again: everything is skipped, nothing is called.
    const again = await runProfile({
      cascade: stack.cascade,
      rows: sample.rows,
      models,
      profileId,
      dir: out,
      concurrency: 4,
    });
    expect(again).toMatchObject({ skipped: 18, finished: 0 });
  });

  it('resumes a profile whose process was killed: exactly one model call per (request, model) pair', async () => {
    const n = 10;
    const file = writeSample('sample-b.jsonl', 20, n);
    const out = path.join(dir, 'b');
    const configFile = path.join(dir, 'b.config.yaml');
    fs.writeFileSync(configFile, YAML.stringify(stack.config.config));
    const models = MODELS.map((m) => stack.modelId(m)).join(',');
    const args = [
      path.join(root, 'bin/cascade.js'),
      'profile',
      file,
      '--models',
      models,
      '--out',
      out,
      '--profile-id',
      `b-${run}`,
      '--concurrency',
      '3',
      '--config',
      configFile,
      '--task-queue',
      stack.taskQueue,
      '--json',
    ];
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    };
    const before = await requestCounts();

    // 1. Start it, and kill it hard once a few results are written.
    const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const written = () => {
      try {
        return fs.readFileSync(path.join(out, PROFILE_FILE), 'utf8').split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    };
    for (let i = 0; i < 600 && written() < 4; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const afterKill = written();
    expect(afterKill).toBeGreaterThanOrEqual(4);
    expect(afterKill).toBeLessThan(n * 3);

    // 2. Resume to the end.
    const resumed = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, args, { cwd: root, env });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    const doc = JSON.parse(resumed.stdout) as {
      run: { total: number; skipped: number; finished: number; reattached: number };
    };
    expect(doc.run.total).toBe(n * 3);
    expect(doc.run.skipped + doc.run.finished).toBe(n * 3);
    expect(doc.run.skipped).toBeGreaterThanOrEqual(afterKill - 1); // a torn last line is re-collected

    // Every pair once in the file, and exactly one model call per pair at the server.
    const { records } = readProfile(out);
    expect(records).toHaveLength(n * 3);
    expect(delta(before, await requestCounts())).toEqual(Object.fromEntries(MODELS.map((m) => [m, n])));
  });
});
