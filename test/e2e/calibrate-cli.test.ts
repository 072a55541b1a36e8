/**
 * `cascade calibrate` as a user runs it (in process): on a labelled set (data/synthetic),
 * the text report with the curve and the chosen point, `--json` as one document, and bad data as
 * a usage error (exit 2) naming the file and line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { shippedData } from '../helpers/data';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const CONFIG = path.resolve(__dirname, '../../cascade.config.yaml');
let dir: string;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  try {
    const code = await main(['node', 'cascade', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-cli-cal-'));
});
afterEach(() => {
  process.exitCode = undefined;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cascade calibrate', () => {
  const base = ['calibrate', '--train', MMLU, '--ladder', 'llama3.1-8b,llama3.1-405b', '--config', CONFIG];

  it('prints the curve with the chosen point and writes the artefact and its SVG', async () => {
    const res = await run([...base, '--out', path.join(dir, 'text'), '--resamples', '300']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/cost\/quality curve/);
    expect(res.stdout).toMatch(/^\*\s+\d/m); // the chosen row
    expect(res.stdout).toMatch(/expected escalation rate [\d.]+% \(interval/);
    expect(res.stdout).toMatch(/savings [\d.-]+% \(interval/);
    expect(res.stdout).toMatch(/recommendation: /);
    const files = fs.readdirSync(path.join(dir, 'text'));
    expect(files).toEqual(expect.arrayContaining(['calibration.json', 'curve.svg']));
    expect(files.some((f) => /^cal-[0-9a-f]{12}\.json$/.test(f))).toBe(true);
  });

  it('--json prints one JSON document', async () => {
    const res = await run([...base, '--out', path.join(dir, 'json'), '--resamples', '300', '--json']);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as {
      version: string;
      chosen: { relativeQuality: number; lowerBound: number; intervals: { savings: number[] } };
      recommendation: { route: string };
      training: { files: { name: string; rows: number }[] };
    };
    expect(doc.version).toMatch(/^cal-/);
    expect(doc.chosen.lowerBound).toBeLessThanOrEqual(doc.chosen.relativeQuality);
    expect(doc.chosen.intervals.savings).toHaveLength(2);
    expect(['cascade', 'static']).toContain(doc.recommendation.route);
    expect(doc.training.files).toEqual([{ name: 'mmlu_llama.jsonl', rows: 300, sha256: expect.any(String) }]);
  });

  it('bad data and an unknown model are usage errors naming the file and line', async () => {
    const unknown = await run([
      'calibrate',
      '--train',
      MMLU,
      '--ladder',
      'llama3.1-8b,gpt-9',
      '--config',
      CONFIG,
      '--out',
      path.join(dir, 'x'),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`${MMLU}:1: unknown model "gpt-9" in --ladder`);

    const bad = path.join(dir, 'bad.jsonl');
    const lines = fs.readFileSync(MMLU, 'utf8').split('\n').slice(0, 30);
    // NaN in the ladder's small model (a NaN of a model outside the ladder is not read).
    lines[11] = lines[11]!.replace(/("llama3\.1-8b": \{[^}]*"raw_confidence": )-?[\d.e-]+/, '$1NaN');
    fs.writeFileSync(bad, lines.join('\n'));
    const nan = await run([
      'calibrate',
      '--train',
      bad,
      '--ladder',
      'llama3.1-8b,llama3.1-405b',
      '--config',
      CONFIG,
      '--out',
      path.join(dir, 'y'),
    ]);
    expect(nan.code).toBe(2);
    expect(nan.stderr).toMatch(
      new RegExp(
        `${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:12: models\\.llama3\\.1-8b\\.raw_confidence is NaN`,
      ),
    );
  });
});
