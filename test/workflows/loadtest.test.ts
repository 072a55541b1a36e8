/**
 * `cascade loadtest` via the client against a real stack (dev server, workers, recorded-model
 * server), short and bounded: it reports throughput, decision and added latency per window,
 * errors, the bottleneck verdict and the saturation point. No assertion on wall-clock figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadtestCommand } from '../../src/cli/commands/loadtest';
import type { LoadtestResult } from '../../src/tools/loadtest/types';
import { shippedData } from '../helpers/data';
import { readRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';
import { validateConfig } from '../../src/request/config-file/load';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
let stack: Stack;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadtest-'));
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      'llama3.1-8b': { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      'llama3.1-405b': { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      mmlu: {
        route: 'cascade',
        rungs: [
          { model: 'llama3.1-8b', confidence: 'answer_logprob', threshold: 0.7 },
          { model: 'llama3.1-405b' },
        ],
      },
    },
    recorded: { latencyScale: 0.2, concurrency: 8 },
  });
});
afterAll(async () => {
  await stack?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const capture = () => {
  let text = '';
  return { write: (s: string) => ((text += s), true), text: () => text };
};

describe('cascade loadtest via the client', () => {
  it('runs a bounded open-loop sweep and reports throughput, decision and added latency, and saturation', async () => {
    const sample = path.join(dir, 'sample.jsonl');
    fs.writeFileSync(
      sample,
      readRows(MMLU)
        .slice(0, 30)
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const stdout = capture();
    const { code, result } = await loadtestCommand({
      sample,
      rates: [3, 6],
      durationMs: 2500,
      maxRequests: 12,
      via: 'client',
      cascade: stack.cascade,
      temporalAddress: '127.0.0.1:7233',
      config: stack.config,
      addedBoundMs: 60_000,
      json: true,
      stdout,
      stderr: capture(),
    });
    expect(code).toBe(0);
    const doc = JSON.parse(stdout.text()) as LoadtestResult;
    expect(doc).toEqual(JSON.parse(JSON.stringify(result)));
    expect(doc.kind).toBe('cascade-loadtest');
    expect(doc.steps.map((s) => s.offeredRate)).toEqual([3, 6]);
    for (const s of doc.steps) {
      expect(s.requests).toBeGreaterThan(0);
      expect(s.requests).toBeLessThanOrEqual(12);
      expect(s.completed).toBe(s.requests);
      expect(s.errors).toBe(0);
      expect(s.throughput).toBeGreaterThan(0);
      // The cascade route decides: its decision time is in every trace.
      expect(s.decisionMs.p95).not.toBeNull();
      expect(s.modelMs.p50).not.toBeNull();
      // added = end-to-end - model time, so it is positive and below the end-to-end time.
      expect(s.addedMs.p50!).toBeGreaterThan(0);
      expect(s.addedMs.p50!).toBeLessThan(s.e2eMs.p99! + 1);
      expect(s.windows.length).toBeGreaterThan(0);
      expect(s.windows.reduce((a, w) => a + w.offered, 0)).toBe(s.requests);
      expect(s.windows.reduce((a, w) => a + w.completed, 0)).toBe(s.completed);
      expect(typeof s.saturated).toBe('boolean');
      expect(typeof s.routerBottleneck).toBe('boolean');
    }
    const saturated = doc.steps.filter((s) => s.saturated).map((s) => s.offeredRate);
    expect(doc.saturationRate).toBe(saturated.length ? Math.min(...saturated) : null);
    expect(typeof doc.routerBottleneck).toBe('boolean');
  });

  it('runs at 2x a stated peak, and prints the tables', async () => {
    const sample = path.join(dir, 'sample2.jsonl');
    fs.writeFileSync(
      sample,
      readRows(MMLU)
        .slice(30, 40)
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const stdout = capture();
    const { result } = await loadtestCommand({
      sample,
      rates: [],
      peak: 2,
      multiplier: 2,
      durationMs: 1500,
      maxRequests: 5,
      via: 'client',
      cascade: stack.cascade,
      config: stack.config,
      addedBoundMs: 60_000,
      stdout,
      stderr: capture(),
    });
    expect(result.steps.map((s) => s.offeredRate)).toEqual([4]);
    expect(result).toMatchObject({ peak: 2, multiplier: 2 });
    expect(stdout.text()).toMatch(/added p95/);
    expect(stdout.text()).toMatch(/per 5 s window/);
    expect(stdout.text()).toMatch(/router bottleneck: (yes|no)/);
  });

  it('refuses targets that are not this machine unless allowed', async () => {
    const remote = validateConfig(
      {
        models: {
          m: {
            provider: 'openai-compatible',
            baseUrl: 'https://api.example.com/v1',
            pricing: { inputPerMTok: 1, outputPerMTok: 1 },
          },
        },
        tasks: { mmlu: { route: 'static', rungs: [{ model: 'm' }] } },
      },
      'remote',
    );
    const err = await loadtestCommand({
      sample: MMLU,
      rates: [1],
      durationMs: 1000,
      maxRequests: 1,
      via: 'client',
      cascade: stack.cascade,
      temporalAddress: 'localhost:7233',
      config: remote,
      addedBoundMs: 1000,
      stdout: capture(),
      stderr: capture(),
    }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/not this machine: https:\/\/api\.example\.com/);
    const gw = await loadtestCommand({
      sample: MMLU,
      rates: [1],
      durationMs: 1000,
      maxRequests: 1,
      via: 'gateway',
      gatewayUrl: 'http://10.1.2.3:8787',
      addedBoundMs: 1000,
      stdout: capture(),
      stderr: capture(),
    }).catch((e: unknown) => e);
    expect(String((gw as Error).message)).toMatch(/10\.1\.2\.3/);
  });
});
