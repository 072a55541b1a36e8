/**
 * `kill -9` of the Temporal server while requests are inside their model calls (issue #16, the
 * reliability suite): a dev server of this test's own, persisted in a SQLite file, killed and
 * restarted on the same file and port. Workers (in this process) and the client reconnect by
 * themselves. Lean calls whose workflow task never reached the server run again (the call journal
 * puts the first run on the record); durable calls whose completion was lost time out on their
 * heartbeat and are retried. Checked: every request answers, with exactly one ledger row, and
 * the ledger's attempts equal the requests the model server received (every paid call on the
 * record).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { CascadeClient } from '../../src/doors/client/cascade-client';
import { validateConfig } from '../../src/request/config-file/load';
import type { Ledger } from '../../src/request/ledger/types';
import { startRecordedServer, type RecordedServer } from '../../src/tools/recorded-models/server';
import type { Trace } from '../../src/request/router/trace';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import { isServerHealthy, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { startWorkers, type RunningWorkers } from '../../src/temporal/worker';
import { describeEachLedger, freshLedger } from '../helpers/ledgers';
import { readRows } from '../helpers/rows';

// Rows that record no latency (as test/e2e/worker-kill.test.ts): every call takes defaultLatencyMs.
const ROWS = path.resolve(__dirname, '../fixtures/replay-rows.jsonl');
const MODEL = 'mixtral-8x7b-instruct';
const LEAN = 12;
const DURABLE = 8;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function until(what: string, f: () => Promise<boolean>, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function metric(recorded: RecordedServer, name: string): Promise<number> {
  const text = await (await fetch(`${recorded.url}/metrics`)).text();
  return parseSamples(text, name)
    .filter((s) => s.labels.model === MODEL)
    .reduce((n, s) => n + s.value, 0);
}

describeEachLedger('kill -9 of the Temporal server while requests are in model calls', (backend) => {
  let recorded: RecordedServer;
  let ledger: Ledger;
  let dir: string;
  let server: DevServer | undefined;
  let workers: RunningWorkers | undefined;
  let connection: Connection | undefined;

  beforeAll(async () => {
    ({ ledger } = await freshLedger(backend));
    recorded = await startRecordedServer({
      dataFiles: [ROWS],
      latencyScale: 1,
      // Every call takes 8 s: all of them are in flight when the server dies.
      defaultLatencyMs: 8_000,
      concurrency: 100,
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-server-kill-'));
  });
  afterAll(async () => {
    await workers?.shutdown().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await recorded?.close();
    await ledger?.close();
    await backend.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request once, with every paid call on the record', { timeout: 240_000 }, async () => {
    const cliPath = inject('temporalCliPath');
    expect(cliPath, 'a Temporal CLI binary (test/global-setup.ts)').not.toBe('');
    const address = `127.0.0.1:${await freePort()}`;
    const serverOpts = {
      cliPath,
      address,
      uiPort: await freePort(),
      dbFile: path.join(dir, 'temporal.db'),
      namespace: 'default',
      logFile: path.join(dir, 'temporal.log'),
    };
    server = await startDevServer(serverOpts);
    expect(server.pid).toBeDefined();

    const prefix = `sk${randomUUID().slice(0, 8)}`;
    const modelId = `${prefix}-${MODEL}`;
    const taskQueue = `cascade-${prefix}`;
    const static_ = (execution: string) => ({
      route: 'static',
      execution,
      rungs: [{ model: modelId }],
      limits: { initialBackoffMs: 200 },
    });
    const config = validateConfig(
      {
        temporal: { costPerAction: 0.000025 },
        models: {
          [modelId]: {
            provider: 'openai-compatible',
            baseUrl: recorded.baseUrl,
            model: MODEL,
            pricing: { inputPerMTok: 0.6, outputPerMTok: 0.6 },
            concurrency: 64,
            circuit: { failureThreshold: 1000 },
          },
        },
        tasks: { lean: static_('lean'), durable: static_('durable') },
      },
      'server-kill',
    );
    workers = await startWorkers({
      config: config.config,
      calibrations: config.calibrations,
      address,
      namespace: 'default',
      workflowBundlePath: inject('workflowBundlePath'),
      taskQueue,
      shadowTaskQueue: `${taskQueue}-shadow`,
      ledger,
    });
    connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: 'default' });
    const cascade = new CascadeClient({ client, config, taskQueue });

    const receivedBefore = await metric(recorded, 'recorded_requests_total');
    const rows = readRows(ROWS).filter((r) => r.models?.[MODEL]?.answer !== undefined);
    const requests = [
      ...Array.from({ length: LEAN }, (_, i) => ({ id: `${prefix}-lean-${i}`, task: 'lean' })),
      ...Array.from({ length: DURABLE }, (_, i) => ({ id: `${prefix}-durable-${i}`, task: 'durable' })),
    ];
    await Promise.all(
      requests.map((r, i) =>
        cascade.start({ id: r.id, task: r.task, prompt: rows[i % rows.length]!.prompt }),
      ),
    );
    await until(
      'every call in flight',
      async () => (await metric(recorded, 'recorded_in_flight')) === requests.length,
    );

    // kill -9, and the same server back on the same file and port.
    process.kill(server.pid!, 'SIGKILL');
    await until('the server gone', async () => !(await isServerHealthy(address)));
    // Down past the workflow-task and heartbeat timeouts (10 s): the calls answer meanwhile, their
    // completions cannot reach the server, and the tasks time out when it is back.
    await new Promise((r) => setTimeout(r, 12_000));
    server = await startDevServer(serverOpts);

    const traces: Trace[] = [];
    for (const r of requests) {
      // The client's long poll may have been cut with the server: ask again until it answers.
      for (let attempt = 0; ; attempt++) {
        try {
          traces.push(await client.workflow.getHandle(r.id).result());
          break;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((res) => setTimeout(res, 1000));
        }
      }
    }
    expect(traces.map((t) => t.status)).toEqual(requests.map(() => 'answered'));

    // Exactly one ledger row each (the write is idempotent by request id).
    const ids = requests.map((r) => r.id);
    await until('every ledger row', async () => (await ledger.listRequests({ ids })).length === ids.length);
    const recordedRows = await ledger.listRequests({ ids });
    expect(recordedRows.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const t of traces) {
      const row = recordedRows.find((r) => r.id === t.requestId)!;
      expect(row.costUsd).toBe(t.totals.costUsd);
      expect(row.attempts).toBe(t.totals.attempts);
    }

    // Every call the model server received is an attempt on the record, re-run or retried ones too.
    const attempts = (await Promise.all(ids.map((id) => ledger.attempts(id)))).flat();
    await until(
      'the model server counting the calls the kill cut',
      async () => (await metric(recorded, 'recorded_in_flight')) === 0,
    );
    const received = (await metric(recorded, 'recorded_requests_total')) - receivedBefore;
    console.log(
      `server kill: ${requests.length} requests (${LEAN} lean, ${DURABLE} durable), ` +
        `${received} calls received by the model server, ${attempts.length} attempts on the record, ` +
        `${attempts.filter((a) => a.estimated).length} of them estimated`,
    );
    expect(attempts.length).toBe(received);
    expect(attempts.filter((a) => a.ok).length).toBe(requests.length);
  });
});
