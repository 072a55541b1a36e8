/**
 * Must-show: kill -9 of the worker while requests are in model calls (50 durable, 100 lean),
 * restart it, and every request completes with exactly one ledger row and the right attempt rows,
 * every call the model server received on the record, on SQLite and on PostgreSQL.
 *
 * The worker is the compiled `cascade worker` in a child process (npm test builds dist/ first),
 * on the run's dev server, with its own task queues and a config pointing at a recorded-model
 * server this test runs with an 8 s latency per call, so the calls stay in flight. Once that
 * server's /metrics shows all of them in flight, the worker gets SIGKILL. Durable: the lost
 * attempts time out on their heartbeat and the workflows retry them on the restarted worker.
 * Lean: the lost workflow tasks time out and run again there, and the call journal puts each
 * lost call on the record. The ledger write records each request once. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { CascadeClient } from '../../src/doors/client/cascade-client';
import { loadConfig } from '../../src/request/config-file/load';
import type { Ledger } from '../../src/request/ledger/types';
import { startRecordedServer, type RecordedServer } from '../../src/tools/recorded-models/server';
import type { Trace } from '../../src/request/router/trace';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import { describeEachLedger, freshLedger } from '../helpers/ledgers';
import { readRows } from '../helpers/rows';
import { testClient } from '../helpers/temporal';

const root = path.resolve(__dirname, '../..');
const ROWS = path.resolve(__dirname, '../fixtures/replay-rows.jsonl');
const MODEL = 'mixtral-8x7b-instruct';
const N = 50;

interface WorkerProcess {
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  metricsUrl: string;
  exited: Promise<number | null>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function startWorker(args: string[]): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [path.join(root, 'bin/cascade.js'), 'worker', ...args], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Ready once it prints its metrics endpoint (after the ledger is open and the workers poll).
  for (let i = 0; i < 600 && !/^metrics: (\S+)$/m.test(stderr); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = /^metrics: (\S+)$/m.exec(stderr);
  if (!m) {
    child.kill('SIGKILL');
    throw new Error(`the worker did not start:\n${stderr}`);
  }
  return { child, stderr: () => stderr, metricsUrl: m[1]!, exited };
}

async function inFlight(recorded: RecordedServer): Promise<number> {
  const text = await (await fetch(`${recorded.url}/metrics`)).text();
  return parseSamples(text, 'recorded_in_flight')
    .filter((s) => s.labels.model === MODEL)
    .reduce((n, s) => n + s.value, 0);
}

/**
 * Durable: the 50 calls run as activities on the model's queue; the kill loses them, they time out
 * on their heartbeat and are retried as a new attempt. Lean: 100 calls run as local activities
 * inside their workflow tasks; the kill loses the tasks, which are retried on the restarted
 * worker, where each call runs again under the same key and the call journal puts the lost one
 * on the record as a `lost` attempt with its estimated cost.
 */
const CASES = [
  { execution: 'durable', n: N, lostAs: 'timeout', maxAttempts: 3 },
  { execution: 'lean', n: 100, lostAs: 'lost', maxAttempts: 3 },
  // One attempt per rung: the timed-out call is the request's last, and no later attempt reads the
  // journal for it; the ledger write does (src/request/router/lost-usage.ts), and the request fails.
  { execution: 'durable', n: 10, lostAs: 'timeout', maxAttempts: 1 },
] as const;

describeEachLedger('kill -9 of the worker while requests are in model calls', (backend) => {
  let recorded: RecordedServer;
  let ledger: Ledger;
  let ledgerUrl: string;
  let dir: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    ({ ledger, url: ledgerUrl } = await freshLedger(backend));
    recorded = await startRecordedServer({
      dataFiles: [ROWS],
      latencyScale: 1,
      // The fixture rows record no latency: every call takes 8 s, long enough for all of them
      // to be in flight at once even on a loaded machine (the worker takes up 100 workflow tasks).
      defaultLatencyMs: 8_000,
      concurrency: 100,
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-kill-'));
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await recorded?.close();
    await ledger?.close();
    await backend.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)(
    '$execution, $maxAttempts attempts a rung: completes every request with exactly one ledger row and the right attempt rows',
    { timeout: 240_000 },
    async ({ execution, n: N, lostAs, maxAttempts }) => {
      const status = maxAttempts > 1 ? 'answered' : 'failed';
      const prefix = `k${randomUUID().slice(0, 8)}`;
      const modelId = `${prefix}-${MODEL}`;
      const taskQueue = `cascade-${prefix}`;
      const config = path.join(dir, 'cascade.config.yaml');
      fs.writeFileSync(
        config,
        JSON.stringify({
          temporal: { costPerAction: 0.000025 },
          models: {
            [modelId]: {
              provider: 'openai-compatible',
              baseUrl: recorded.baseUrl,
              model: MODEL,
              pricing: { inputPerMTok: 0.6, outputPerMTok: 0.6 },
              // Lean calls hold workflow-task slots: enough for all of them at once.
              concurrency: 128,
              circuit: { failureThreshold: 1000 },
            },
          },
          tasks: {
            gsm8k: {
              route: 'static',
              execution,
              rungs: [{ model: modelId }],
              limits: { initialBackoffMs: 200, maxAttemptsPerRung: maxAttempts },
            },
          },
        }),
      );
      const args = [
        '--config',
        config,
        '--namespace',
        inject('temporalNamespace'),
        '--ledger',
        ledgerUrl,
        '--metrics-port',
        '0',
        '--task-queue',
        taskQueue,
        '--shadow-task-queue',
        `${taskQueue}-shadow`,
        '--workflow-bundle',
        inject('workflowBundlePath'),
      ];

      const receivedBefore = parseSamples(
        await (await fetch(`${recorded.url}/metrics`)).text(),
        'recorded_requests_total',
      )
        .filter((s) => s.labels.model === MODEL)
        .reduce((sum, s) => sum + s.value, 0);
      const first = await startWorker([...args, '--no-sdk-metrics']);
      workers.push(first);
      const { client, close } = await testClient();
      try {
        // The client side, in this process, with the same config.
        const cascade = new CascadeClient({ client, config: loadConfig(config), taskQueue });
        const rows = readRows(ROWS).filter((r) => r.models?.[MODEL]?.answer !== undefined);
        const ids = Array.from({ length: N }, (_, i) => `${prefix}-${i}`);
        await Promise.all(
          ids.map((id, i) => {
            const row = rows[i % rows.length]!;
            return cascade.start({ id, task: 'gsm8k', prompt: row.prompt });
          }),
        );

        // Every request is inside its model call: kill -9.
        let seen = 0;
        for (let i = 0; i < 600 && seen < N; i++) {
          seen = await inFlight(recorded);
          if (seen < N) await new Promise((r) => setTimeout(r, 100));
        }
        expect(seen, 'model calls in flight before the kill').toBe(N);
        first.child.kill('SIGKILL');
        expect(await first.exited).toBeNull(); // killed by the signal, no exit code
        expect(await ledger.listRequests({ ids })).toEqual([]); // nothing finished before the kill

        // The restarted worker also serves the Temporal SDK's own metrics (Runtime.install).
        const sdkPort = await freePort();
        const second = await startWorker([...args, '--sdk-metrics-port', String(sdkPort)]);
        workers.push(second);
        expect(second.stderr()).toContain(`sdk metrics: http://127.0.0.1:${sdkPort}/metrics`);
        const traces: Trace[] = await Promise.all(ids.map((id) => client.workflow.getHandle(id).result()));

        expect(traces.map((t) => t.status)).toEqual(ids.map(() => status));
        const recordedRows = await ledger.listRequests({ ids });
        expect(recordedRows.map((r) => r.id).sort()).toEqual([...ids].sort());
        let lost = 0;
        for (const t of traces) {
          const row = recordedRows.find((r) => r.id === t.requestId)!;
          expect(row).toMatchObject({
            status,
            finalModel: status === 'answered' ? modelId : null,
            attempts: t.totals.attempts,
            orchestrationActions: t.totals.orchestrationActions,
          });
          expect(row.costUsd).toBe(t.totals.costUsd);
          const attempts = await ledger.attempts(t.requestId);
          expect(attempts.map((a) => [a.callIndex, a.attempt, a.ok, a.errorClass, a.costUsd])).toEqual(
            t.calls.flatMap((c, i) => c.attempts.map((a) => [i, a.attempt, a.ok, a.errorClass, a.costUsd])),
          );
          // The attempt the kill cut off is on the record (a timeout, or a lost call with its
          // estimated cost), then the retry that answered.
          if (
            attempts[0]!.errorClass === lostAs &&
            attempts[attempts.length - 1]!.ok === (status === 'answered')
          )
            lost++;
          // Paid for, as far as anyone knows: on the record with its input tokens' cost, estimated
          // (lean: the re-run found it in the call journal; durable: the next attempt did, or the
          // ledger write when it was the last).
          expect(attempts[0]).toMatchObject({ estimated: true });
          expect(attempts[0]!.costUsd).toBeGreaterThan(0);
        }
        expect(lost).toBe(N);
        // Every request the model server received is an attempt on the record: none paid unrecorded.
        const received = parseSamples(
          await (await fetch(`${recorded.url}/metrics`)).text(),
          'recorded_requests_total',
        )
          .filter((s) => s.labels.model === MODEL)
          .reduce((sum, s) => sum + s.value, 0);
        const onRecord = (await Promise.all(ids.map((id) => ledger.attempts(id)))).flat().length;
        expect(onRecord).toBe(received - receivedBefore);

        // The restarted worker recorded them all, once: its metrics say the same.
        const text = await (await fetch(second.metricsUrl)).text();
        const total = (name: string, pred: (l: Record<string, string>) => boolean = () => true) =>
          parseSamples(text, name)
            .filter((s) => pred(s.labels))
            .reduce((n, s) => n + s.value, 0);
        expect(total('cascade_requests_total')).toBe(N);
        // One lost attempt a request at least: more where the restarted worker's first execution
        // timed out too on a loaded machine (a call lost twice is two attempts, and that record
        // replaces the first). The attempt counter sums to the attempts on the record either way.
        expect(total('cascade_model_attempts_total', (l) => l.outcome === lostAs)).toBeGreaterThanOrEqual(N);
        expect(total('cascade_model_attempts_total', (l) => l.model === modelId)).toBe(onRecord);
        expect(total('cascade_ledger_writes_total', (l) => l.result === 'inserted')).toBe(N);
        const sdk = await (await fetch(`http://127.0.0.1:${sdkPort}/metrics`)).text();
        expect(sdk).toMatch(/^temporal_\w+/m);
        // Prometheus naming: every counter ends in _total, every duration histogram in _seconds.
        const types = [...sdk.matchAll(/^# TYPE (\w+) (\w+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
        const counters = types.filter((t) => t.type === 'counter');
        expect(counters.length).toBeGreaterThan(0);
        expect(counters.filter((t) => !t.name.endsWith('_total'))).toEqual([]);
        const durations = types.filter((t) => t.type === 'histogram' && /latency|duration/.test(t.name));
        expect(durations.length).toBeGreaterThan(0);
        expect(durations.filter((t) => !t.name.endsWith('_seconds'))).toEqual([]);
        expect(total('cascade_cost_usd_total')).toBeCloseTo(
          recordedRows.reduce((s, r) => s + r.costUsd, 0),
          12,
        );
      } finally {
        await close().catch(() => undefined);
        for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exited));
      }
    },
  );
});
