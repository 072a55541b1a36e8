/**
 * The calibration artefact's feature snapshot: `cascade calibrate` bins the training rows'
 * features, computed by the classify activity's own decision code and combined as the ledger
 * records them, per feature as drift_input's PSI bins a reference. It round-trips through the
 * artefact file and is part of the version; an artefact written before it (no field) loads with
 * the version it always had.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/request/router/decide';
import { ArtefactError, readArtefactFile, stampVersions } from '../../src/request/config-file/artefact-file';
import { readLabelledData } from '../../src/tools/calibrate/labelled-data';
import {
  type CalibrateOutcome,
  featureSnapshot,
  recordedFeatures,
  runCalibration,
} from '../../src/tools/calibrate/run';
import { outcomeFromTrace } from '../../src/request/ledger/outcome';
import { psi, psiAgainst } from '../../src/watch/monitors/stats';
import { artefactContent } from '../../src/request/router/calibration/artefact';
import { canonicalJson } from '../../src/request/router/canonical-json';
import {
  ruleComplexity,
  STRUCTURAL_FEATURE_NAMES,
  structuralFeatures,
} from '../../src/request/router/features';
import { fakeMeta, fakeTrace } from '../helpers/fake-trace';
import { shippedData } from '../helpers/data';

const LADDER = ['llama3.1-8b', 'llama3.1-405b'];
const FIXTURE = path.resolve(__dirname, '../fixtures/calibration/replay-gsm8k.json');

describe('an artefact written before the feature snapshot', () => {
  it('still loads, without the field, under the version it was written with', () => {
    const raw = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { version: string };
    expect(raw).not.toHaveProperty('featureSnapshot');
    const a = readArtefactFile(FIXTURE);
    expect(a.version).toBe(raw.version);
    expect(a).not.toHaveProperty('featureSnapshot');
    expect(stampVersions(a).version).toBe(raw.version);
    // An explicit undefined hashes like an absent key.
    expect(stampVersions({ ...a, featureSnapshot: undefined }).version).toBe(raw.version);
  });
});

describe('cascade calibrate on labelled rows (synthetic MMLU, llama)', () => {
  const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
  let dir: string;
  let outcome: CalibrateOutcome;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-snapshot-'));
    outcome = runCalibration({
      train: [MMLU],
      ladder: LADDER,
      target: 0.97,
      confidence: 0.95,
      out: dir,
      resamples: 200,
      now: new Date('2026-01-01T00:00:00Z'),
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the features binned are those the classify activity records and the ledger writes', () => {
    const rows = readLabelledData([MMLU], LADDER, {}).rows.slice(0, 20);
    for (const r of rows) {
      const features = recordedFeatures(r.task, r.messages);
      // The ledger row of a request the activity decided has exactly these features.
      const trace = { ...fakeTrace({ id: r.id }), decision: decide({ task: r.task, messages: r.messages }) };
      expect(outcomeFromTrace(trace, fakeMeta({ id: r.id })).features).toEqual(features);
      const f = structuralFeatures(r.messages);
      expect(features).toEqual({ ...f, complexity: ruleComplexity(f) });
    }
  });

  it('writes one set of bins per recorded feature over every training row', () => {
    const a = outcome.artefact;
    const snap = a.featureSnapshot!;
    expect(snap).toBeDefined();
    expect(snap.rows).toBe(300);
    expect(Object.keys(snap.features).sort()).toEqual([...STRUCTURAL_FEATURE_NAMES, 'complexity'].sort());
    for (const bins of Object.values(snap.features)) {
      expect(bins.n).toBe(300);
      expect(bins.counts.reduce((s, c) => s + c, 0)).toBe(300);
    }
    // Few distinct values by value, continuous ones by quantile.
    expect(snap.features.hasSystem).toEqual({ binning: 'value', values: [1], counts: [300], n: 300 });
    expect(snap.features.approxTokens!.binning).toBe('quantile');
    expect(snap.features.complexity!.binning).toBe('quantile');
    // Exactly the snapshot of the rows as the labelled-data reader parses them.
    const data = readLabelledData([MMLU], LADDER, {});
    expect(snap).toEqual(featureSnapshot(data.rows));
    // Bins, not values: small whatever the row count.
    expect(JSON.stringify(snap).length).toBeLessThan(6_000);
  });

  it('the snapshot compares like the raw training values would', () => {
    const data = readLabelledData([MMLU], LADDER, {});
    const values = (name: string) => data.rows.map((r) => recordedFeatures(r.task, r.messages)[name]!);
    const current = values('approxTokens').map((x) => x * 1.3);
    expect(
      psiAgainst(outcome.artefact.featureSnapshot!.features.approxTokens!, current, { confidence: 0.99 }),
    ).toEqual(psi(values('approxTokens'), current, { confidence: 0.99 }));
  });

  it('round-trips through the artefact file and is part of the version', () => {
    const a = outcome.artefact;
    expect(readArtefactFile(outcome.files.versioned)).toEqual(a);
    expect(readArtefactFile(outcome.files.latest).featureSnapshot).toEqual(a.featureSnapshot);
    // The same content without a snapshot has another version...
    const { featureSnapshot: _s, ...without } = a;
    expect(stampVersions(without).version).not.toBe(a.version);
    // ...the one the content without the key always hashed to.
    expect(canonicalJson(artefactContent({ ...a, featureSnapshot: undefined }))).toBe(
      canonicalJson(artefactContent(without)),
    );
    // A snapshot edited after calibrate wrote it is refused.
    const edited = JSON.parse(fs.readFileSync(outcome.files.latest, 'utf8')) as {
      featureSnapshot: { features: Record<string, { counts: number[]; n: number }> };
    };
    const bins = edited.featureSnapshot.features.approxTokens!;
    bins.counts[0]! += 1;
    bins.n += 1;
    const file = path.join(dir, 'edited.json');
    fs.writeFileSync(file, JSON.stringify(edited));
    expect(() => readArtefactFile(file)).toThrow(/does not match the content/);
    // Malformed bins are refused by the schema.
    bins.n += 1;
    fs.writeFileSync(file, JSON.stringify(edited));
    expect(() => readArtefactFile(file)).toThrow(ArtefactError);
    expect(() => readArtefactFile(file)).toThrow(/n must be the sum of counts/);
  });
});
