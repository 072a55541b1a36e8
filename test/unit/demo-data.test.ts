/**
 * What `npm start` runs without ../shared/data (data/demo/) is what data/demo/NOTICE says it is,
 * and its commands make it again: the two halves of RouteLLM's GSM8K rows, and the calibration
 * artefact fitted on the first half only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pricesFromConfig } from '../../src/tools/calibrate/labelled-data';
import { runCalibration } from '../../src/tools/calibrate/run';
import { loadConfig } from '../../src/request/config-file/load';
import { demoSet, SHIPPED_HELDOUT, SHIPPED_TASK, SHIPPED_TRAIN } from '../../src/tools/demo/demo-set';

const root = path.resolve(__dirname, '../..');
const SOURCE = path.join(root, 'data/routellm/gsm8k.jsonl');
const ARTEFACT_DIR = path.join(root, 'data/demo/calibration/routellm-gsm8k');
const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
const ids = (file: string) => lines(file).map((l) => (JSON.parse(l) as { id: string }).id);

describe('data/demo', () => {
  it('is the odd and the even lines of data/routellm/gsm8k.jsonl, unmodified and disjoint', () => {
    const source = lines(SOURCE);
    expect(lines(SHIPPED_TRAIN)).toEqual(source.filter((_, i) => i % 2 === 0)); // awk NR % 2 == 1
    expect(lines(SHIPPED_HELDOUT)).toEqual(source.filter((_, i) => i % 2 === 1));
    const train = new Set(ids(SHIPPED_TRAIN));
    expect(ids(SHIPPED_HELDOUT).filter((id) => train.has(id))).toEqual([]);
  });

  it('the demo runs every held-out row and none of the training rows, under the calibrated task', () => {
    const set = demoSet({ sharedDataDir: path.join(os.tmpdir(), 'no-such-shared-data'), runId: 'r' });
    expect(set.source).toBe('shipped');
    expect(set.dataFiles).toEqual([SHIPPED_HELDOUT]);
    expect(set.requests.map((r) => r.task)).toEqual(ids(SHIPPED_HELDOUT).map(() => SHIPPED_TASK));
    expect([...set.rows.values()].map((r) => r.row.id)).toEqual(ids(SHIPPED_HELDOUT));
    expect(set.scope).toMatch(/can show .+; it cannot show .+\.\.\/shared\/data/);
  });

  it(
    'the task points to the artefact, which the documented command fits again to the same version',
    { timeout: 120_000 },
    () => {
      const loaded = loadConfig(path.join(root, 'cascade.config.yaml'));
      const shipped = loaded.calibrations[SHIPPED_TASK];
      expect(shipped).toBeDefined();
      const versioned = JSON.parse(
        fs.readFileSync(path.join(ARTEFACT_DIR, `${shipped!.version}.json`), 'utf8'),
      ) as { version: string };
      expect(versioned.version).toBe(shipped!.version);
      expect(shipped!.training.files.map((f) => f.name)).toEqual([path.basename(SHIPPED_TRAIN)]);

      // npx cascade calibrate --train data/demo/routellm-gsm8k-train.jsonl
      //   --ladder mixtral-8x7b-instruct,gpt-4-1106-preview --target 0.97 --confidence 0.95 --out DIR
      // (the CLI's defaults: seed 1, 1000 resamples, the classifier, the config's prices)
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-cal-'));
      try {
        const again = runCalibration({
          train: [SHIPPED_TRAIN],
          ladder: ['mixtral-8x7b-instruct', 'gpt-4-1106-preview'],
          target: 0.97,
          confidence: 0.95,
          out,
          prices: pricesFromConfig(loaded.config.models),
          seed: 1,
          resamples: 1000,
          classifier: true,
          // The tool's name and version are part of the hashed content: the one that wrote it.
          tool: shipped!.tool,
        });
        expect(again.artefact.version).toBe(shipped!.version);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }

      // Its NOTICE says which artefact it is and what it was fitted on.
      const notice = fs.readFileSync(path.join(root, 'data/demo/NOTICE'), 'utf8');
      expect(notice).toContain(shipped!.version);
      expect(notice).toContain(`fitted on ${path.basename(SHIPPED_TRAIN)} ONLY`);
      expect(notice).toContain(shipped!.training.files[0]!.sha256.slice(0, 8));
    },
  );
});
