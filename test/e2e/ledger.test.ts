/**
 * The outcome ledger against real databases, SQLite and PostgreSQL alike (test/helpers/ledgers.ts):
 * migrations, idempotent writes, feedback, per-tenant queries and retry linking.
 */
import { afterAll, expect, it } from 'vitest';
import { LATEST_VERSION, LedgerSchemaError, MIGRATIONS } from '../../src/request/ledger/migrations';
import { openLedger } from '../../src/request/ledger/open';
import { promptHash } from '../../src/request/ledger/prompt-hash';
import { checkSpendCap } from '../../src/request/ledger/spend-cap';
import { UnknownRequestError, type Ledger } from '../../src/request/ledger/types';
import { fakeOutcome } from '../helpers/fake-trace';
import { describeEachLedger, freshLedger } from '../helpers/ledgers';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 15, 12);
const WINDOW = { retryWindowMs: 10 * MIN };

describeEachLedger('ledger', (backend) => {
  const open: Ledger[] = [];
  const fresh = async () => {
    const l = await freshLedger(backend);
    open.push(l.ledger);
    return l;
  };
  afterAll(async () => {
    for (const l of open) await l.close().catch(() => undefined);
    await backend.cleanup();
  });

  it('migrates a new database once, and again is a no-op; concurrent starts apply each migration once', async () => {
    const url = await backend.freshUrl();
    const [a, b, c] = await Promise.all([
      openLedger(url, { migrate: false }),
      openLedger(url, { migrate: false }),
      openLedger(url, { migrate: false }),
    ]);
    open.push(a!, b!, c!);
    const applied = await Promise.all([a!.migrate(), b!.migrate(), c!.migrate()]);
    const all = MIGRATIONS.map((m) => m.version);
    expect(applied.flat().sort((x, y) => x - y)).toEqual(all);
    expect(all.at(-1)).toBe(LATEST_VERSION);
    expect(await a!.appliedMigrations()).toEqual(all);
    expect(await b!.migrate()).toEqual([]);
    expect(await c!.appliedMigrations()).toEqual(all);
  });

  it('refuses a database whose schema is newer than this build', async () => {
    const { ledger, url } = await fresh();
    const l = ledger as unknown as { sql: { run(sql: string, p?: unknown[]): Promise<number> } };
    await l.sql.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
      LATEST_VERSION + 1,
      'from the future',
      0,
    ]);
    await expect(openLedger(url)).rejects.toThrow(LedgerSchemaError);
  });

  it('writes a request and its attempts once: the same record again writes nothing', async () => {
    const { ledger, url } = await fresh();
    const other = await openLedger(url);
    open.push(other);
    const rec = fakeOutcome({ id: 'req-1', tenant: 'acme', caller: 'svc-a', escalate: true });
    // Two writers at once (a retried activity racing its first attempt): one row.
    const first = await Promise.all([ledger.record(rec, WINDOW), other.record(rec, WINDOW)]);
    expect(first.map((r) => r.inserted).sort()).toEqual([false, true]);
    expect(await ledger.record(rec, WINDOW)).toMatchObject({ inserted: false, retryOf: null });

    const rows = await ledger.listRequests();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({
      id: 'req-1',
      tenant: 'acme',
      caller: 'svc-a',
      route: 'cascade',
      servedAs: 'routed',
      status: 'answered',
      rungModels: ['small', 'large'],
      finalModel: 'large',
      finalRung: 1,
      escalated: true,
      lastReason: 'low_confidence',
      attempts: 3,
      baselineEstimated: false,
      confidenceModel: 'small',
      confidenceSource: 'answer_logprob',
      rawConfidence: -0.2,
      calibratedConfidence: 0.55,
      schemaValid: null,
      classifierVersion: 'rules-v1',
      calibrationVersion: 'cal-1',
      decisionMs: 0.25,
      features: { approxTokens: 25, instructions: 2, complexity: 0.4 },
      shadow: false,
      retryOf: null,
      latencyMs: 1500,
      promptHash: promptHash([{ role: 'user', content: 'the prompt of req-1' }]),
    });
    expect(row.costUsd).toBeCloseTo(0.021, 12);
    expect(row.escalations).toEqual([{ from: 'small', to: 'large', reason: 'low_confidence' }]);
    expect(await ledger.attempts('req-1')).toEqual(rec.attemptRows);
    // Neither the prompt nor the answer text is anywhere in the row.
    expect(JSON.stringify(row)).not.toMatch(/the prompt of|THE ANSWER TEXT|provider message/);
  });

  it('attaches feedback to a recorded request; an unknown id is an error; a key dedupes', async () => {
    const { ledger } = await fresh();
    await ledger.record(fakeOutcome({ id: 'fb-1' }), WINDOW);
    await expect(ledger.addFeedback('nope', { score: 1 })).rejects.toThrow(UnknownRequestError);
    await expect(ledger.addFeedback('fb-1', { score: Number.NaN })).rejects.toThrow(/finite/);
    const a = await ledger.addFeedback('fb-1', { score: 4, label: 'good', source: 'rating' }, T0);
    const b = await ledger.addFeedback('fb-1', { score: 0, key: 'eval-7', source: 'eval' }, T0 + 1);
    const b2 = await ledger.addFeedback('fb-1', { score: 1, key: 'eval-7', source: 'eval' }, T0 + 2);
    expect(b2).toEqual(b);
    expect(a).toMatchObject({
      requestId: 'fb-1',
      score: 4,
      label: 'good',
      source: 'rating',
      key: null,
      createdAt: T0,
    });
    expect(await ledger.feedback('fb-1')).toEqual([a, b]);
  });

  it('sums costs and savings by tenant, shadows apart; month-to-date spend for caps', async () => {
    const { ledger } = await fresh();
    const feb = Date.UTC(2026, 1, 3);
    await ledger.record(fakeOutcome({ id: 'a1', tenant: 'acme', startedAt: T0, escalate: true }), WINDOW);
    await ledger.record(fakeOutcome({ id: 'a2', tenant: 'acme', startedAt: T0 + MIN }), WINDOW);
    await ledger.record(fakeOutcome({ id: 'a3', tenant: 'acme', startedAt: feb }), WINDOW);
    await ledger.record(fakeOutcome({ id: 'a1', tenant: 'acme', shadowOf: 'a1', startedAt: T0 }), WINDOW);
    await ledger.record(fakeOutcome({ id: 'b1', tenant: 'beta', startedAt: T0 }), WINDOW);
    await ledger.record(fakeOutcome({ id: 'n1', startedAt: T0 }), WINDOW);

    const jan = { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 1, 1) };
    const byTenant = await ledger.costsByTenant(jan);
    const acme = byTenant.find((t) => t.tenant === 'acme')!;
    const orch = 7 * 0.000025;
    expect(acme).toMatchObject({ requests: 2, escalated: 1, retries: 0 });
    expect(acme.costUsd).toBeCloseTo(0.021 + 0.001, 12);
    expect(acme.baselineCostUsd).toBeCloseTo(0.04, 12);
    expect(acme.wastedCostUsd).toBeCloseTo(0.001, 12);
    expect(acme.orchestrationCostUsd).toBeCloseTo(2 * orch, 12);
    expect(acme.savedUsd).toBeCloseTo(0.04 - 0.022 - 2 * orch, 12);
    expect(acme.shadowCostUsd).toBeCloseTo(0.001, 12);
    expect(byTenant.map((t) => t.tenant).sort()).toEqual(['acme', 'beta', null].sort());
    expect(byTenant.find((t) => t.tenant === null)!.requests).toBe(1);

    expect(await ledger.tenantSpend('acme', jan)).toBeCloseTo(0.022 + 2 * orch, 12);
    expect(await ledger.tenantSpend('acme')).toBeCloseTo(0.023 + 3 * orch, 12);
    expect(await ledger.tenantSpend('nobody')).toBe(0);
    // The cap counts this calendar month (UTC) only.
    expect(await checkSpendCap(ledger, 'acme', 0.02, T0 + 2 * MIN)).toMatchObject({
      tenant: 'acme',
      capUsd: 0.02,
      since: jan.from,
    });
    expect(await checkSpendCap(ledger, 'acme', 0.02, feb + MIN)).toBeNull();

    const totals = await ledger.totals({ shadow: false });
    expect(totals.requests).toBe(5);
    expect(totals.attempts).toBe(3 + 2 * 4);
  });

  it('links retries: explicit retryOf; else the latest earlier request of the same caller and prompt in the window', async () => {
    const { ledger } = await fresh();
    const rec = (id: string, at: number, extra: Partial<Parameters<typeof fakeOutcome>[0]> = {}) =>
      ledger.record(fakeOutcome({ id, caller: 'alice', prompt: 'P', startedAt: T0 + at, ...extra }), WINDOW);

    expect(await rec('r1', 0)).toMatchObject({ retryOf: null, retryLink: null });
    expect(await rec('r2', 2 * MIN)).toMatchObject({ retryOf: 'r1', retryLink: 'auto' });
    expect(await rec('r3', 3 * MIN)).toMatchObject({ retryOf: 'r2', retryLink: 'auto' });
    // Outside the window, another caller, another prompt, no caller: not retries.
    expect(await rec('r4', 30 * MIN)).toMatchObject({ retryOf: null });
    expect(await rec('o1', 4 * MIN, { caller: 'bob' })).toMatchObject({ retryOf: null });
    expect(await rec('o2', 5 * MIN, { prompt: 'Q' })).toMatchObject({ retryOf: null });
    expect(await rec('o3', 6 * MIN, { caller: undefined })).toMatchObject({ retryOf: null });
    // The caller is metadata.caller, else metadata.tenant.
    await rec('t1', 0, { caller: undefined, tenant: 'acme', prompt: 'T' });
    expect(await rec('t2', MIN, { caller: undefined, tenant: 'acme', prompt: 'T' })).toMatchObject({
      retryOf: 't1',
    });
    // Explicit wins, whatever the prompt.
    expect(await rec('x1', 7 * MIN, { retryOf: 'o2', prompt: 'Z' })).toMatchObject({
      retryOf: 'o2',
      retryLink: 'explicit',
    });
    // A shadow child is never a retry, nor a target.
    expect(await rec('r1', 8 * MIN, { shadowOf: 'r1' })).toMatchObject({ retryOf: null });
    expect(await rec('r5', 9 * MIN)).toMatchObject({ retryOf: 'r3' });

    // Recorded out of order (an earlier request finishing later): the later ones are relinked.
    await rec('s3', 3 * MIN, { caller: 'carol' });
    await rec('s1', 0, { caller: 'carol' });
    await rec('s2', MIN, { caller: 'carol' });
    const byId = new Map((await ledger.listRequests()).map((r) => [r.id, r]));
    expect(byId.get('s1')!.retryOf).toBeNull();
    expect(byId.get('s2')).toMatchObject({ retryOf: 's1', retryLink: 'auto' });
    expect(byId.get('s3')).toMatchObject({ retryOf: 's2', retryLink: 'auto' });
    expect(byId.get('x1')).toMatchObject({ retryOf: 'o2', retryLink: 'explicit' });
  });
});
