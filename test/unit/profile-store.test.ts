/**
 * `readProfile` reads a profile in the sample's order whatever order its runs finished in: the
 * advice splits rows into fit and test parts by index, so the same profile must always give the
 * same advice (a concurrent profile appends in completion order, which differs run to run).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILE_FILE, readProfile, type ProfileRecord } from '../../src/tools/profile/store';
import { shuffledIndices } from '../../src/request/router/random';

function record(line: number, model: string, answer: string): ProfileRecord {
  return {
    v: 1,
    profileId: 'p',
    requestId: `r${line}`,
    line,
    task: 't',
    model,
    workflowId: `wf-${line}-${model}`,
    status: 'answered',
    answer,
    costUsd: 0.001,
    latencyMs: 10,
    tokensIn: 5,
    tokensOut: 5,
    attempts: 1,
    orchestrationActions: 3,
    orchestrationCostUsd: 0.000075,
    quality: {
      schemaValid: null,
      correct: true,
      correctSource: 'recorded-label',
      rawConfidence: 0.9,
      confidenceKind: 'answer_logprob',
    },
    reattached: false,
    finishedAt: '2026-12-02T00:00:00.000Z',
  };
}

describe('readProfile', () => {
  it('returns the records in sample order (line, then model) for any completion order, later duplicates winning', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-store-'));
    try {
      const recs: ProfileRecord[] = [];
      for (let line = 1; line <= 60; line++)
        for (const m of ['small', 'large']) recs.push(record(line, m, `a${line}`));
      const expected = recs
        .map((r) => `${r.line}:${r.model}`)
        .sort((a, b) => parseInt(a) - parseInt(b) || (a.endsWith('large') ? -1 : 1));
      for (let seed = 1; seed <= 20; seed++) {
        const shuffled = shuffledIndices(recs.length, seed).map((i) => recs[i]!);
        // A re-run of line 7 on "small" appended last replaces the first record of that pair.
        const lines = [...shuffled, record(7, 'small', 'rerun')].map((r) => JSON.stringify(r));
        fs.writeFileSync(path.join(dir, PROFILE_FILE), lines.join('\n') + '\n');
        const { records } = readProfile(dir);
        expect(records.map((r) => `${r.line}:${r.model}`)).toEqual(expected);
        expect(records.find((r) => r.line === 7 && r.model === 'small')!.answer).toBe('rerun');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
