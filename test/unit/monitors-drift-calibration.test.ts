/**
 * drift_input against the calibration snapshot:
 * - stats: referenceBins + psiAgainst is psi, also after the bins went through JSON (an artefact);
 * - on prompts of the synthetic sets (data/synthetic), their features computed as the classify
 *   activity records them: an artefact calibrated on one half of MMLU (`cascade calibrate`, read back from its
 *   file) stays quiet on the other half, and GSM8K prompts served under the MMLU task drift, with
 *   alerts naming the task, the feature and the artefact version.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtefactFile } from '../../src/request/config-file/artefact-file';
import { readLabelledData } from '../../src/tools/calibrate/labelled-data';
import { recordedFeatures, runCalibration } from '../../src/tools/calibrate/run';
import type { RequestRow } from '../../src/request/ledger/types';
import { computeReport } from '../../src/watch/monitors/compute-report';
import type { WindowData } from '../../src/watch/monitors/report-data';
import { psi, psiAgainst } from '../../src/watch/monitors/stats';
import type { Report } from '../../src/watch/monitors/types';
import { type CalibrationArtefact, referenceBinsSchema } from '../../src/request/router/calibration/artefact';
import { referenceBins, type ReferenceBins } from '../../src/request/router/calibration/feature-bins';
import { shippedData } from '../helpers/data';
import { config, REFERENCE, requestRow, rng, WINDOW } from './monitors-fixtures';

const roundTrip = (b: ReferenceBins): ReferenceBins => JSON.parse(JSON.stringify(b)) as ReferenceBins;

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

describe('referenceBins and psiAgainst', () => {
  const rand = rng(7);
  const continuous = Array.from({ length: 400 }, () => 100 * Math.exp(0.5 * gauss(rand)));
  const shifted = Array.from({ length: 300 }, () => 130 * Math.exp(0.5 * gauss(rand)));
  const counts = Array.from({ length: 300 }, () => Math.floor(4 * rand()));

  it('bins by value when there are few distinct values, by quantile otherwise', () => {
    expect(referenceBins([1, 0, 1, 1, -0, NaN, Infinity])).toEqual({
      binning: 'value',
      values: [0, 1],
      counts: [2, 3],
      n: 5,
    });
    const q = referenceBins(continuous);
    expect(q.binning).toBe('quantile');
    if (q.binning !== 'quantile') return;
    expect(q.edges).toHaveLength(9);
    expect(q.counts).toHaveLength(10);
    expect(q.counts.reduce((s, c) => s + c, 0)).toBe(400);
    // Deciles: the edge is the value at rank i·n/10, so the first bin holds it too.
    expect(q.counts).toEqual([41, 40, 40, 40, 40, 40, 40, 40, 40, 39]);
    // Ties collapse: a heavy value leaves fewer edges, and the top value is never an edge.
    const tied = referenceBins([
      ...Array.from({ length: 90 }, () => 5),
      ...Array.from({ length: 20 }, (_, i) => i),
    ]);
    expect(tied.binning === 'quantile' && tied.edges.every((e, i) => i === 0 || e > tied.edges[i - 1]!)).toBe(
      true,
    );
    expect(tied.binning === 'quantile' && tied.edges.includes(19)).toBe(false);
    expect(referenceBins([1, 2, 3, 4], 3).binning).toBe('quantile');
    expect(() => referenceBins([NaN])).toThrow(RangeError);
  });

  it('is psi, also after the bins went through JSON and the artefact schema', () => {
    const cases: [number[], number[], number?][] = [
      [continuous, shifted],
      [continuous, continuous.slice(0, 150)],
      [counts, counts.map((c) => c + 1)], // a value the reference never had: its own bin
      [counts, counts.slice(0, 50)],
      [
        [0, 0, 1, 1],
        [0, 1, 2, 2],
      ],
      [continuous, shifted, 5],
      [
        [3, 3, 3],
        [3, 3, 4],
      ],
    ];
    for (const [ref, cur, bins] of cases) {
      const b = referenceBins(ref, bins);
      const expected = psi(ref, cur, { confidence: 0.99, ...(bins ? { bins } : {}) });
      expect(psiAgainst(b, cur, { confidence: 0.99 })).toEqual(expected);
      expect(psiAgainst(roundTrip(b), cur, { confidence: 0.99 })).toEqual(expected);
      expect(referenceBinsSchema.parse(roundTrip(b))).toEqual(b);
    }
    expect(() => psiAgainst(referenceBins(counts), [NaN], { confidence: 0.99 })).toThrow(RangeError);
    expect(() => psi([NaN], [1], { confidence: 0.99 })).toThrow(
      'psi needs at least one finite value on each side',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Prompts of the synthetic sets

const LADDER = ['llama3.1-8b', 'llama3.1-405b'];
const cfg = config();

describe('drift against the calibration snapshot, on MMLU-like and GSM8K-like prompts', () => {
  const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
  const GSM8K = shippedData('synthetic/gsm8k_llama.jsonl');
  let dir: string;
  let artefact: CalibrationArtefact;
  let heldOut: string;

  beforeAll(() => {
    // Calibrate on a random half of MMLU; the other half is "traffic like the training data".
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-drift-cal-'));
    const lines = fs
      .readFileSync(MMLU, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const rand = rng(11);
    const half = lines.map(() => rand() < 0.5);
    const train = path.join(dir, 'mmlu-a.jsonl');
    heldOut = path.join(dir, 'mmlu-b.jsonl');
    fs.writeFileSync(train, lines.filter((_, i) => half[i]).join('\n') + '\n');
    fs.writeFileSync(heldOut, lines.filter((_, i) => !half[i]).join('\n') + '\n');
    const out = runCalibration({
      train: [train],
      ladder: LADDER,
      target: 0.97,
      confidence: 0.95,
      out: path.join(dir, 'out'),
      resamples: 200,
      now: new Date('2026-01-01T00:00:00Z'),
    });
    // As the monitors get it: loaded from the file the task points to.
    artefact = readArtefactFile(out.files.latest);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Served requests of `task` with the features the classify activity records for each prompt. */
  function traffic(
    file: string,
    task: string,
    window: { from: number; to: number },
    n = Infinity,
  ): WindowData {
    const rows = readLabelledData([file], LADDER, {}).rows.slice(0, n);
    const step = (window.to - window.from) / rows.length;
    const requests: RequestRow[] = rows.map((r, i) =>
      requestRow({
        id: `${task}-${window.from}-${r.id}`,
        startedAt: Math.floor(window.from + i * step),
        task,
        features: recordedFeatures(task, r.messages),
      }),
    );
    return { window, requests, feedback: [], calls: [] };
  }

  function report(
    current: WindowData,
    calibrations: Record<string, CalibrationArtefact>,
    reference: WindowData | null = null,
  ): Report {
    return computeReport(
      { current, retries: [], reference },
      { window: WINDOW, reference: reference?.window ?? null, config: cfg, calibrations },
    );
  }
  const driftAlerts = (r: Report) => r.alerts.filter((a) => a.monitor === 'drift_input');

  it('traffic like the training data stays quiet, and the report names the snapshot as reference', () => {
    expect(artefact.featureSnapshot?.rows).toBeGreaterThan(100);
    const r = report(traffic(heldOut, 'mmlu', WINDOW), { mmlu: artefact });
    const rows = r.drift.features.filter((f) => f.feature.startsWith('mmlu/'));
    expect(rows.map((f) => f.feature)).toEqual(
      expect.arrayContaining([
        'mmlu/approxTokens',
        'mmlu/complexity',
        'mmlu/formatChoice',
        'mmlu/mathSymbols',
      ]),
    );
    expect(rows.length).toBe(Object.keys(artefact.featureSnapshot!.features).length);
    for (const f of rows) {
      expect(f.n).toBeGreaterThanOrEqual(cfg.minRequests);
      expect(f.referenceN).toBe(artefact.featureSnapshot!.rows);
    }
    expect(rows.filter((f) => f.drifted)).toEqual([]);
    expect(driftAlerts(r)).toEqual([]);
    expect(r.reference).toEqual({ kind: 'calibration', version: artefact.version });
  });

  it('GSM8K prompts served under the MMLU-calibrated task drift, named by task, feature and artefact', () => {
    const r = report(traffic(GSM8K, 'mmlu', WINDOW, 150), { mmlu: artefact });
    const drifted = r.drift.features.filter((f) => f.drifted).map((f) => f.feature);
    // Math word problems: longer, numeric answers, no choices.
    expect(drifted).toEqual(
      expect.arrayContaining(['mmlu/approxTokens', 'mmlu/formatNumber', 'mmlu/formatChoice']),
    );
    const alerts = driftAlerts(r);
    expect(alerts.map((a) => a.key).sort()).toEqual(drifted.map((f) => `feature:${f}`).sort());
    const tokens = alerts.find((a) => a.key === 'feature:mmlu/approxTokens')!;
    expect(tokens.evidence).toMatchObject({
      reference: 'calibration',
      calibrationVersion: artefact.version,
      task: 'mmlu',
      n: 150,
      referenceN: artefact.featureSnapshot!.rows,
    });
    expect(tokens.value).toBeGreaterThan(tokens.threshold);
    expect(tokens.threshold).toBe(Math.max(cfg.drift.psi, tokens.evidence.critical as number));
    expect(tokens.message).toContain(artefact.version);
    expect(tokens.message).toContain('mmlu');
    expect((tokens.evidence.currentMean as number) > 0).toBe(true);
    const choice = alerts.find((a) => a.key === 'feature:mmlu/formatChoice')!;
    expect(choice.evidence.binning).toBe('value');
    expect(choice.evidence.referenceMean as number).toBeGreaterThan(0.9);
    expect(choice.evidence.currentMean as number).toBeLessThan(0.1);
  });

  it('only a task with a snapshot is compared, and only with its own artefact', () => {
    const mixed: WindowData = {
      window: WINDOW,
      requests: [
        ...traffic(heldOut, 'mmlu', WINDOW).requests,
        ...traffic(GSM8K, 'gsm8k', WINDOW, 150).requests,
      ],
      feedback: [],
      calls: [],
    };
    const r = report(mixed, { mmlu: artefact });
    expect(r.drift.features.some((f) => f.feature.startsWith('gsm8k/'))).toBe(false);
    expect(r.drift.features.filter((f) => f.feature.startsWith('mmlu/') && f.drifted)).toEqual([]);
    // An artefact without a snapshot (written before it existed): no calibration drift, and the
    // reference is what it always was.
    const { featureSnapshot: _s, ...old } = artefact;
    const r2 = report(mixed, { mmlu: old });
    expect(r2.drift.features).toEqual([]);
    expect(r2.reference).toEqual({ kind: 'calibration', version: artefact.version });
  });

  it('too few requests of the task: compared, never drifted', () => {
    const r = report(traffic(GSM8K, 'mmlu', WINDOW, cfg.minRequests - 1), { mmlu: artefact });
    const tokens = r.drift.features.find((f) => f.feature === 'mmlu/approxTokens')!;
    expect(tokens.psi).toBeGreaterThan(tokens.critical);
    expect(tokens.drifted).toBe(false);
    expect(driftAlerts(r)).toEqual([]);
  });

  it('beside a reference window: both comparisons, and the window stays the reference', () => {
    const reference = traffic(heldOut, 'mmlu', REFERENCE);
    const r = report(traffic(GSM8K, 'mmlu', WINDOW, 150), { mmlu: artefact }, reference);
    expect(r.reference).toEqual({ kind: 'window', window: REFERENCE });
    const keys = driftAlerts(r).map((a) => a.key);
    expect(keys).toEqual(expect.arrayContaining(['feature:approxTokens', 'feature:mmlu/approxTokens']));
    const windowAlert = driftAlerts(r).find((a) => a.key === 'feature:approxTokens')!;
    expect(windowAlert.evidence).not.toHaveProperty('reference');
  });
});
