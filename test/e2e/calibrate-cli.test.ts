/**
 * `cascade calibrate` as a user runs it (in process): on a labelled set (data/synthetic),
 * the text report with the curve and the chosen point, `--candidates` choosing the ladder with the
 * guarantee in words, `--json` as one document, and bad data as a usage error (exit 2) naming the
 * file and line.
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
    expect(res.stdout).toMatch(/^ +llama3\.1-8b >=0\.\d+ > llama3\.1-405b +\d/m); // a policy of the curve
    expect(res.stdout).toMatch(/expected escalation rate [\d.]+% \(interval/);
    expect(res.stdout).toMatch(/savings [\d.-]+% \(interval/);
    expect(res.stdout).toMatch(/recommendation: /);
    const files = fs.readdirSync(path.join(dir, 'text'));
    expect(files).toEqual(expect.arrayContaining(['calibration.json', 'curve.svg']));
    expect(files.some((f) => /^cal-[0-9a-f]{12}\.json$/.test(f))).toBe(true);
  });

  it('--candidates chooses the ladder: the chosen one, the curve with the chosen point, the guarantee in words', async () => {
    const out = path.join(dir, 'candidates');
    const res = await run([
      'calibrate',
      '--train',
      shippedData('synthetic/mmlu_qwen.jsonl'),
      '--candidates',
      'gpt-4o-mini,qwen2.5-32b-coder-instruct,qwen2.5-72b-instruct,gpt-4o',
      '--config',
      CONFIG,
      '--prices',
      'qwen2.5-32b-coder-instruct=0.8/0.8',
      '--resamples',
      '200',
      '--out',
      out,
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /^candidates \(cheapest first\): gpt-4o-mini, qwen2\.5-32b-coder-instruct, qwen2\.5-72b-instruct; reference gpt-4o/m,
    );
    expect(res.stdout).toMatch(/^split: 90 rows fitted on .*, 210 rows held out to test$/m);
    expect(res.stdout).toMatch(/^search: 14 ladders \(every cheapest-first subset of up to 3 models\)/m);
    expect(res.stdout).toMatch(/^chosen ladder: \S+( -> \S+)+$/m);
    expect(res.stdout).toMatch(/^\*\s+\S/m); // the chosen row of the curve
    expect(res.stdout).toMatch(/^chosen \(\*\) on the 210 held-out rows: .*p = [\d.e-]+ at the target/m);
    expect(res.stdout).toMatch(
      /^guarantee: With probability at least 95% over the labelled sample, the deployed policy's accuracy is at least 97\.0% of gpt-4o's accuracy on traffic exchangeable with the labelled rows/m,
    );
    expect(res.stdout).toMatch(/^recommendation: route cascade with the rungs /m);
    // The artefact records what was considered and how the rows were split.
    const a = JSON.parse(fs.readFileSync(path.join(out, 'calibration.json'), 'utf8')) as {
      format: number;
      ladder: string[];
      candidates: string[];
      selection: string;
      split: { fitRows: number; testRows: number; seed: number };
      search: { ladders: number; policies: number; tested: number; accepted: number };
      chosen: { pValue: number };
    };
    expect(a).toMatchObject({
      format: 2,
      candidates: ['gpt-4o-mini', 'qwen2.5-32b-coder-instruct', 'qwen2.5-72b-instruct', 'gpt-4o'],
      selection: 'subsets',
      split: { fitRows: 90, testRows: 210, seed: 1 },
      search: { ladders: 14 },
    });
    expect(a.chosen.pValue).toBeLessThanOrEqual(0.05);
    expect(a.search.accepted).toBeGreaterThan(0);
    expect(res.stdout).toContain(`chosen ladder: ${a.ladder.join(' -> ')}`);
  });

  it('--ladder or --candidates, not both', async () => {
    const both = await run([
      ...base,
      '--candidates',
      'llama3.1-8b,llama3.1-405b',
      '--out',
      path.join(dir, 'z'),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give --ladder a,b \(a fixed ladder\) or --candidates a,b,c/);
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
