/**
 * The record activity is durable: while the ledger database refuses connections, the request's
 * record keeps failing and retrying (the workflow waits, the answer is in the trace query); once
 * the database is back, the request is recorded, once. PostgreSQL, where a database can be
 * closed to connections and reopened without touching the others on the server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Ledger } from '../../src/request/ledger/types';
import type { Trace } from '../../src/request/router/trace';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import { shippedData } from '../helpers/data';
import { describeEachLedger, freshLedger } from '../helpers/ledgers';
import { readRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';

describeEachLedger(
  'a ledger outage',
  (backend) => {
    let stack: Stack;
    let ledger: Ledger;
    let db: string;

    beforeAll(async () => {
      const fresh = await freshLedger(backend);
      ledger = fresh.ledger;
      db = new URL(fresh.url).pathname.slice(1);
      stack = await startStack({
        dataFiles: [MMLU],
        ledger,
        models: { [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 } },
        tasks: { mmlu: { route: 'static', rungs: [{ model: SMALL }] } },
      });
    });
    afterAll(async () => {
      await backend.admin!(`ALTER DATABASE ${db} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await stack?.close();
      await ledger?.close();
      await backend.cleanup();
    });

    const writes = async (result: string) =>
      parseSamples(await stack.workers.metrics.registry.metrics(), 'cascade_ledger_writes_total')
        .filter((s) => s.labels.result === result)
        .reduce((n, s) => n + s.value, 0);

    it('delays the record until the database is back, then writes it once', { timeout: 90_000 }, async () => {
      // Close the database to new connections and drop the open ones (the pool's idle clients).
      await backend.admin!(`ALTER DATABASE ${db} ALLOW_CONNECTIONS false`);
      await backend.admin!(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`,
      );
      const row = readRows(MMLU)[0]!;
      const id = `outage-${Date.now().toString(36)}`;
      const { handle } = await stack.cascade.start({ ...row, id, task: 'mmlu' });

      // The record fails and is retried while the workflow waits, its answer already in the trace.
      for (let i = 0; i < 200 && (await writes('error')) < 2; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(await writes('error')).toBeGreaterThanOrEqual(2);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const live = await handle.query<Trace>('trace');
      expect(live.status).toBe('answered');
      expect(await writes('inserted')).toBe(0);

      await backend.admin!(`ALTER DATABASE ${db} ALLOW_CONNECTIONS true`);
      const trace = await handle.result();
      const rows = await ledger.listRequests({ ids: [id] });
      expect(rows).toHaveLength(1);
      expect(rows[0]!.costUsd).toBe(trace.totals.costUsd);
      expect(await ledger.attempts(id)).toHaveLength(trace.totals.attempts);
      expect(await writes('inserted')).toBe(1);
    });
  },
  'postgres',
);
