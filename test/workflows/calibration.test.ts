/**
 * Calibration artefacts in real workflows (dev server, recorded-model server): the trace names
 * the artefact's version and carries its maps; the confidence check decides with the calibrated
 * probability; the pre-route classifier's skip rule sends a request straight to the large model;
 * and a workflow recorded before a recalibration replays cleanly after it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stampVersions } from '../../src/request/config-file/artefact-file';
import { runCalibration } from '../../src/tools/calibrate/run';
import { CascadeClient } from '../../src/doors/client/cascade-client';
import { parseHistory, replayHistories } from '../../src/doors/client/replay';
import { validateConfig } from '../../src/request/config-file/load';
import type { CalibrationArtefact } from '../../src/request/router/calibration/artefact';
import { calibrate } from '../../src/request/router/confidence';
import type { RungSkip } from '../../src/request/router/rung-decision';
import { SA } from '../../src/temporal/workflows/search-attributes';
import { shippedData } from '../helpers/data';
import { readRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';

let dir: string;
let fitted: CalibrationArtefact;
let stack: Stack;
let seq = 0;
const rid = (label: string) =>
  `${label}-${Date.now().toString(36)}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;
const asRequest = (row: DataRow, task: string, id = rid(row.id)) => ({ ...row, id, task });

/** The fitted artefact with some rungs changed, re-stamped (a new version) and written to `file`. */
function variant(file: string, change: (a: CalibrationArtefact) => void): CalibrationArtefact {
  const copy = JSON.parse(JSON.stringify(fitted)) as CalibrationArtefact;
  change(copy);
  const stamped = stampVersions(copy);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(stamped, null, 2));
  return stamped;
}

const withSkip = (skip: RungSkip) => (a: CalibrationArtefact) => {
  a.rungs[0]!.skip = skip;
};
const withThreshold = (t: number) => (a: CalibrationArtefact) => {
  a.rungs[0]!.threshold = t;
  a.rungs[0]!.skip = null;
};

const paths = () => ({
  fitted: path.join(dir, 'fitted', 'calibration.json'),
  always: path.join(dir, 'always.json'),
  below: path.join(dir, 'below.json'),
  recal: path.join(dir, 'recal', 'calibration.json'),
});
const cascadeTask = (calibration: string) => ({
  route: 'cascade' as const,
  rungs: [{ model: SMALL }, { model: LARGE }],
  calibration,
});

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-wf-cal-'));
  fitted = runCalibration({
    train: [MMLU],
    ladder: [SMALL, LARGE],
    target: 0.97,
    confidence: 0.95,
    out: path.dirname(paths().fitted),
    resamples: 300,
  }).artefact;
  // Never skip on the fitted one, whatever the search chose, so its thresholds decide (a
  // threshold of its own when the guarantee accepted nothing and the rung was skipped instead).
  variant(paths().fitted, (a) => {
    a.rungs[0]!.skip = null;
    if (a.rungs[0]!.threshold === null) {
      // Between a row's uncalibrated reading and its calibrated one, so the map decides it.
      const map = a.rungs[0]!.calibration;
      const raws = readRows(MMLU).map((r) => r.models[SMALL]!.raw_confidence!);
      const raw = raws.find((x) => Math.abs(Math.exp(x) - calibrate(map, x)) > 0.05)!;
      a.rungs[0]!.threshold = Math.round(((Math.exp(raw) + calibrate(map, raw)) / 2) * 1e4) / 1e4;
    }
  });
  variant(paths().always, withSkip({ kind: 'always' }));
  variant(paths().below, withSkip({ kind: 'below', predicted: 0.999 }));
  variant(paths().recal, withThreshold(0));
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      calibrated: cascadeTask(paths().fitted),
      skipAlways: cascadeTask(paths().always),
      skipBelow: cascadeTask(paths().below),
      recal: cascadeTask(paths().recal),
    },
  });
});
afterAll(async () => {
  await stack?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a task with a calibration artefact', () => {
  it('records the artefact version and maps, and decides with the calibrated probability', async () => {
    const artefact = stack.config.calibrations.calibrated!;
    const map = artefact.rungs[0]!.calibration;
    const t = artefact.rungs[0]!.threshold!;
    expect(map.kind).not.toBe('identity');
    // A row the uncalibrated reading (exp(logprob)) and the calibrated one decide differently.
    const rows = readRows(MMLU);
    const raw = (r: DataRow) => r.models[SMALL]!.raw_confidence!;
    const differs = (r: DataRow) => Math.exp(raw(r)) >= t !== calibrate(map, raw(r)) >= t;
    const row = rows.find(differs);
    expect(row, 'a row where calibration changes the decision').toBeDefined();
    const standsCalibrated = calibrate(map, raw(row!)) >= t;

    const trace = await stack.cascade.run(asRequest(row!, 'calibrated'));
    expect(trace.policy.calibrationVersion).toBe(artefact.version);
    expect(trace.policy.rungs).toEqual([
      { model: stack.modelId(SMALL), calibration: map, threshold: t, skip: null },
      {
        model: stack.modelId(LARGE),
        calibration: artefact.rungs[1]!.calibration,
        threshold: null,
        skip: null,
      },
    ]);
    const check = trace.checks.find((c) => c.kind === 'confidence')!;
    expect(check.raw).toBeCloseTo(raw(row!), 6);
    expect(check.calibrated).toBeCloseTo(calibrate(map, raw(row!)), 9);
    expect(check.threshold).toBe(t);
    expect(check.passed).toBe(standsCalibrated);
    expect(trace.final.rung).toBe(standsCalibrated ? 0 : 1);
    expect(trace.escalations).toEqual(
      standsCalibrated
        ? []
        : [{ from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'low_confidence' }],
    );
    // The pre-route classifier of the artefact decided, by its version.
    expect(trace.decision!.classifierVersion).toBe(artefact.classifier!.version);
    expect(trace.decision!.predicted).toHaveLength(2);
    expect(trace.decision!.predicted![0]).toBeGreaterThan(0);
    expect(trace.decision!.predicted![0]).toBeLessThan(1);
    expect(trace.decision!.predicted![1]).toBeNull();
    expect(trace.decision!.skippedRungs).toBeUndefined();
  });

  it('skips the small rung on an `always` rule: no call, no escalation, on the record', async () => {
    const [row] = readRows(MMLU);
    const trace = await stack.cascade.run(asRequest(row!, 'skipAlways'));
    expect(trace.decision!.skippedRungs).toEqual([0]);
    expect(trace.calls.map((c) => c.model)).toEqual([stack.modelId(LARGE)]);
    expect(trace.escalations).toEqual([]);
    expect(trace.checks).toEqual([]);
    expect(trace.final).toMatchObject({ model: stack.modelId(LARGE), rung: 1 });
    expect(trace.totals.wastedCostUsd).toBe(0);
    expect(trace.totals.baselineEstimated).toBe(false);
    const desc = await stack.client.workflow.getHandle(trace.requestId).describe();
    expect(desc.typedSearchAttributes.get(SA.escalated)).toBe(false);
  });

  it("skips on the classifier's prediction below the skip point", async () => {
    const row = readRows(MMLU)[1]!;
    const trace = await stack.cascade.run(asRequest(row, 'skipBelow'));
    expect(trace.decision!.predicted![0]).toBeLessThan(0.999);
    expect(trace.decision!.skippedRungs).toEqual([0]);
    expect(trace.final.model).toBe(stack.modelId(LARGE));
    expect(trace.policy.rungs![0]!.skip).toEqual({ kind: 'below', predicted: 0.999 });
  });

  it('a workflow started before a recalibration replays cleanly after it', async () => {
    const row = readRows(MMLU)[2]!;
    const v1 = stack.config.calibrations.recal!;
    // Threshold 0: the small model's answer stands.
    const before = await stack.cascade.run(asRequest(row, 'recal'));
    expect(before.policy.calibrationVersion).toBe(v1.version);
    expect(before.final.rung).toBe(0);

    // Recalibrate: a new artefact in the same file (threshold 1: nothing stands), config reloaded.
    const v2 = variant(paths().recal, withThreshold(1));
    expect(v2.version).not.toBe(v1.version);
    const reloaded = validateConfig(structuredClone(stack.config.config), 'test-recalibrated');
    expect(reloaded.calibrations.recal!.version).toBe(v2.version);
    expect(reloaded.version).not.toBe(stack.config.version);
    const recalibrated = new CascadeClient({
      client: stack.client,
      config: reloaded,
      taskQueue: stack.taskQueue,
      shadowTaskQueue: stack.shadowTaskQueue,
    });
    const after = await recalibrated.run(asRequest(row, 'recal'));
    expect(after.policy.calibrationVersion).toBe(v2.version);
    expect(after.escalations.map((e) => e.reason)).toEqual(['low_confidence']);

    // The first workflow's history replays against the current code, and its trace still says v1.
    const history = (await stack.cascade.exportHistory(before.requestId)) as { events: unknown[] };
    const [outcome] = await replayHistories([{ name: before.requestId, history: parseHistory(history) }], {
      workflowBundlePath: inject('workflowBundlePath'),
    });
    expect(outcome).toMatchObject({ ok: true });
    const stored = await stack.cascade.trace(before.requestId);
    expect(stored.policy.calibrationVersion).toBe(v1.version);
    expect(stored.final.rung).toBe(0);
  });
});
