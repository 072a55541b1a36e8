/**
 * The production topology on the REAL Temporal server (not the dev server): temporal-server
 * 1.29.1 on PostgreSQL with 4 history shards, set up by the compose stack's own config and
 * scripts (src/tools/cluster/, as `npm run stack:real` runs it), two `cascade worker` processes and two
 * `cascade gateway --no-worker` processes, the ledger on the same PostgreSQL. Requests through
 * both gateways, lean and durable, are answered; each is one workflow listed by the Contracts'
 * search attributes in the server's SQL visibility and one ledger row; a repeated
 * Idempotency-Key returns the first answer and runs nothing again.
 *
 * Its own setup: the cluster, on databases of its own in the run's PostgreSQL
 * (CASCADE_TEST_PG_URL, .ci/postgres.sh), beside the run's dev server. The server binary is the
 * cached build (.ci/run builds it; `npm run stack:real -- --build-only` by hand). Under CI=true a
 * missing binary or PostgreSQL fails the file; elsewhere it is skipped with a notice.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dropDatabases } from '../../src/tools/cluster/postgres';
import { freePort } from '../../src/tools/cluster/ports';
import { startRealCluster, type RealCluster } from '../../src/tools/cluster/real-cluster';
import {
  resolveServerBinaries,
  serverCacheDir,
  type ServerBinaries,
} from '../../src/tools/cluster/server-build';
import { startTopology, type RunningTopology } from '../../src/tools/cluster/topology';
import { readEnv } from '../../src/env';
import { openLedger } from '../../src/request/ledger/open';
import { startRecordedServer, type RecordedServer } from '../../src/tools/recorded-models/server';
import { readRows } from '../helpers/rows';

const UNDER_CI = process.env.CI === 'true';
const PG_URL = process.env.CASCADE_TEST_PG_URL;
const ROWS = path.resolve(__dirname, '../fixtures/replay-rows.jsonl');
const MODEL = 'mixtral-8x7b-instruct';
const NAMESPACE = 'cascade';
const TOKEN = randomUUID();

const cacheDir = readEnv().cacheDir;
const binaryPresent = fs.existsSync(path.join(serverCacheDir(cacheDir), 'temporal-server'));
const unavailable = !PG_URL
  ? 'CASCADE_TEST_PG_URL is not set (eval "$(bash .ci/postgres.sh start)")'
  : !binaryPresent
    ? `the Temporal server is not built yet (${serverCacheDir(cacheDir)}): npm run stack:real -- --build-only`
    : undefined;
if (unavailable && !UNDER_CI) {
  process.stderr.write(`[real-cluster] skipped: ${unavailable}\n`);
}

describe.skipIf(unavailable !== undefined && !UNDER_CI)(
  'the production topology on a real Temporal cluster',
  () => {
    // Under CI neither may be missing: the file fails to collect, naming what (never a silent skip).
    if (unavailable && UNDER_CI) throw new Error(`required under CI=true: ${unavailable}`);
    const suffix = `rc_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const databases = {
      temporal: `temporal_${suffix}`,
      visibility: `temporal_visibility_${suffix}`,
      ledger: `cascade_ledger_${suffix}`,
    };
    // Roles of its own too: the other real-cluster test may run beside it on the same PostgreSQL.
    const roles = { temporal: `temporal_${suffix}`, cascade: `cascade_${suffix}` };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-real-cluster-'));
    let binaries: ServerBinaries;
    let cluster: RealCluster | undefined;
    let recorded: RecordedServer | undefined;
    let topology: RunningTopology | undefined;
    let connection: Connection | undefined;
    let client: Client;

    beforeAll(async () => {
      if (!PG_URL) throw new Error('unreachable: checked above');
      // Never a build here (minutes): .ci/run builds the cache before the tests; a cached binary
      // that does not run fails here.
      binaries = await resolveServerBinaries({ cacheDir, build: false });
      const cliPath = inject('temporalCliPath');
      if (!cliPath) throw new Error('the run has no Temporal CLI binary for create-namespace.sh');
      cluster = await startRealCluster({
        binaries,
        temporalCliPath: cliPath,
        postgresAdminUrl: PG_URL,
        frontendPort: await freePort(),
        shards: 4,
        namespace: NAMESPACE,
        databases,
        roles,
        logDir: dir,
      });
      recorded = await startRecordedServer({ dataFiles: [ROWS], latencyScale: 0 });
      const configPath = path.join(dir, 'cascade.config.yaml');
      fs.writeFileSync(
        configPath,
        JSON.stringify({
          temporal: { namespace: NAMESPACE, costPerAction: 0.000025 },
          models: {
            [MODEL]: {
              provider: 'openai-compatible',
              baseUrl: recorded.baseUrl,
              model: MODEL,
              pricing: { inputPerMTok: 0.6, outputPerMTok: 0.6 },
            },
          },
          tasks: {
            // The call in the workflow task (a local activity) and on the model's queue (an activity).
            gsm8k: { route: 'static', execution: 'lean', rungs: [{ model: MODEL }] },
            'gsm8k-durable': { route: 'static', execution: 'durable', rungs: [{ model: MODEL }] },
          },
        }),
      );
      topology = await startTopology({
        address: cluster.address,
        namespace: NAMESPACE,
        configPath,
        ledgerUrl: cluster.ledgerUrl,
        workers: 2,
        gatewayPorts: [0, 0],
        apiTokens: `rc:${TOKEN}`,
        runDir: dir,
        // Nothing of the test run's environment (its dev server's address, provider keys).
        baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      connection = await Connection.connect({ address: cluster.address });
      client = new Client({ connection, namespace: NAMESPACE });
    }, 300_000);

    afterAll(async () => {
      await connection?.close();
      await topology?.stop();
      await cluster?.stop();
      await recorded?.close();
      if (PG_URL && cluster) await dropDatabases(PG_URL, Object.values(databases));
      fs.rmSync(dir, { recursive: true, force: true });
    }, 180_000);

    async function complete(gateway: string, task: string, key: string, prompt: string) {
      const res = await fetch(`${gateway}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({ model: `cascade/${task}`, messages: [{ role: 'user', content: prompt }] }),
      });
      const body = (await res.json()) as { choices?: { message?: { content?: string } }[] };
      return {
        status: res.status,
        requestId: res.headers.get('x-cascade-request-id'),
        answer: body.choices?.[0]?.message?.content,
      };
    }

    it(
      'answers lean and durable requests through both gateways, one workflow and one ledger row each',
      {
        timeout: 180_000,
      },
      async () => {
        const rows = readRows(ROWS).filter((r) => r.models?.[MODEL]?.answer !== undefined);
        const gateways = topology!.gateways.map((g) => g.url);
        const prefix = `rc-${randomUUID().slice(0, 8)}`;
        const requests = ['gsm8k', 'gsm8k-durable'].flatMap((task) =>
          rows.slice(0, 3).map((row, i) => ({ task, key: `${prefix}-${task}-${i}`, prompt: row.prompt })),
        );
        const replies = await Promise.all(
          requests.map((r, i) => complete(gateways[i % gateways.length]!, r.task, r.key, r.prompt)),
        );
        for (const reply of replies) {
          expect(reply.status).toBe(200);
          expect(reply.answer).toBeTruthy();
          expect(reply.requestId).toBeTruthy();
        }
        const ids = replies.map((r) => r.requestId!);
        expect(new Set(ids).size).toBe(requests.length);

        // Each request is a workflow on the real server, found through the search attributes the
        // setup registered, in its SQL visibility store (written asynchronously: wait for it).
        const query = `CascadeStatus = 'answered' AND CascadeFinalModel = '${MODEL}'`;
        let listed: string[] = [];
        for (let i = 0; i < 120; i++) {
          listed = [];
          for await (const wf of client.workflow.list({ query })) listed.push(wf.workflowId);
          if (ids.every((id) => listed.includes(id))) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        expect(listed).toEqual(expect.arrayContaining(ids));

        // The same Idempotency-Key again: the first answer, no second run.
        const again = await complete(gateways[1]!, requests[0]!.task, requests[0]!.key, requests[0]!.prompt);
        expect(again.status).toBe(200);
        expect(again.requestId).toBe(ids[0]);
        expect(again.answer).toBe(replies[0]!.answer);

        // One ledger row per request, in the ledger the workers migrated on PostgreSQL.
        const ledger = await openLedger(cluster!.ledgerUrl);
        try {
          for (const id of ids) {
            const row = await ledger.getRequest(id);
            expect(row, id).not.toBeNull();
            expect(row!.finalModel, id).toBe(MODEL);
          }
          const all = await ledger.listRequests();
          expect(all.filter((r) => ids.includes(r.id))).toHaveLength(ids.length);
        } finally {
          await ledger.close();
        }
      },
    );
  },
);
