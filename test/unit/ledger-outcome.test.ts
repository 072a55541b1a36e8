/**
 * The pure parts of the ledger: trace -> rows, URLs, month boundaries, placeholders, and the
 * record activity's write-once metrics (against an in-memory SQLite ledger).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRecordActivities, isPermanentLedgerError } from '../../src/temporal/activities/record-outcome';
import { validateConfig } from '../../src/request/config-file/load';
import { openLedger, parseLedgerUrl } from '../../src/request/ledger/open';
import { outcomeFromTrace } from '../../src/request/ledger/outcome';
import { numberPlaceholders } from '../../src/request/ledger/postgres';
import { promptHash } from '../../src/request/ledger/prompt-hash';
import { monthStartUtc, spendCapMessage } from '../../src/request/ledger/spend-cap';
import { LedgerUrlError, redactUrl, type Ledger } from '../../src/request/ledger/types';
import { createCascadeMetrics } from '../../src/watch/telemetry/metrics';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import { fakeMeta, fakeTrace } from '../helpers/fake-trace';

describe('outcomeFromTrace', () => {
  it('takes the figures from the trace and the labels from the request metadata', () => {
    const o = { id: 'r1', tenant: 'acme', escalate: true };
    const rec = outcomeFromTrace(fakeTrace(o), fakeMeta(o));
    expect(rec).toMatchObject({
      id: 'r1',
      tenant: 'acme',
      caller: 'acme', // no metadata.caller: the tenant is the caller
      finalModel: 'large',
      escalated: true,
      lastReason: 'low_confidence',
      confidenceModel: 'small',
      calibratedConfidence: 0.55,
      schemaValid: null,
      shadow: false,
      shadowAgreed: null,
      latencyMs: 1500,
      promptHash: promptHash([{ role: 'user', content: 'the prompt of r1' }]),
    });
    expect(rec.attemptRows.map((a) => [a.callIndex, a.attempt, a.ok, a.errorClass, a.endpoint])).toEqual([
      [0, 1, false, 'rate_limited', null],
      [0, 2, true, null, null],
      [1, 1, true, null, 1],
    ]);
  });

  it('keeps no prompt, answer or provider message text', () => {
    const o = { id: 'r2', caller: 'bob', shadowOf: 'r2' };
    const text = JSON.stringify(outcomeFromTrace(fakeTrace(o), fakeMeta(o)));
    expect(text).not.toMatch(/the prompt of|THE ANSWER TEXT|SERVED TEXT|provider message/);
  });

  it('records a shadow child under its own id, never as a retry, with agreement and savings', () => {
    const o = { id: 'p1', shadowOf: 'p1', retryOf: 'p0' };
    const rec = outcomeFromTrace(fakeTrace(o), fakeMeta(o));
    expect(rec).toMatchObject({
      id: 'p1:shadow',
      shadow: true,
      shadowOf: 'p1',
      retryOf: null,
      shadowAgreed: true,
    });
    expect(rec.wouldHaveSavedUsd).toBeCloseTo(0.019, 12);
  });

  it('prefers the hash the client computed', () => {
    const o = { id: 'r3' };
    const rec = outcomeFromTrace(fakeTrace(o), { ...fakeMeta(o), promptHash: 'abc', messages: undefined });
    expect(rec.promptHash).toBe('abc');
  });
});

describe('ledger URLs and helpers', () => {
  it('parses sqlite and postgres URLs, and refuses others', () => {
    expect(parseLedgerUrl('sqlite:.cascade/ledger.sqlite')).toEqual({
      dialect: 'sqlite',
      file: '.cascade/ledger.sqlite',
    });
    expect(parseLedgerUrl('sqlite:///var/l.db')).toEqual({ dialect: 'sqlite', file: '/var/l.db' });
    expect(parseLedgerUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', file: ':memory:' });
    expect(parseLedgerUrl('postgresql://u@h/db')).toEqual({
      dialect: 'postgres',
      url: 'postgresql://u@h/db',
    });
    expect(() => parseLedgerUrl('mysql://u:secret@h/db')).toThrow(LedgerUrlError);
    expect(() => parseLedgerUrl('mysql://u:secret@h/db')).not.toThrow(/secret/);
    expect(redactUrl('postgres://cascade:hunter2@db:5432/ledger')).toBe(
      'postgres://cascade:***@db:5432/ledger',
    );
    expect(redactUrl('postgres://cascade@db/ledger')).toBe('postgres://cascade@db/ledger');
  });

  it('numbers placeholders for PostgreSQL', () => {
    expect(numberPlaceholders('a = ? AND b IN (?, ?)')).toBe('a = $1 AND b IN ($2, $3)');
  });

  it('starts the month at midnight UTC of its first day', () => {
    expect(monthStartUtc(Date.UTC(2026, 2, 31, 23, 59))).toBe(Date.UTC(2026, 2, 1));
    expect(monthStartUtc(Date.UTC(2026, 0, 1, 0, 0))).toBe(Date.UTC(2026, 0, 1));
    expect(
      spendCapMessage({ tenant: 'acme', spentUsd: 12.5, capUsd: 10, since: Date.UTC(2026, 2, 1) }),
    ).toMatch(
      /^spend_cap: tenant "acme" has spent 12\.500000 USD in 2026-03 \(UTC\), at or over its monthly cap of 10 USD/,
    );
  });

  it('tells a refused row (never retried) from an outage (retried)', () => {
    expect(isPermanentLedgerError({ code: '23505' })).toBe(true);
    expect(isPermanentLedgerError({ code: '22P02' })).toBe(true);
    expect(isPermanentLedgerError({ code: 'SQLITE_CONSTRAINT_NOTNULL' })).toBe(true);
    expect(isPermanentLedgerError({ code: 'SQLITE_BUSY' })).toBe(false);
    expect(isPermanentLedgerError({ code: '57P01' })).toBe(false); // admin shutdown
    expect(isPermanentLedgerError({ code: 'ECONNREFUSED' })).toBe(false);
    expect(isPermanentLedgerError(new Error('x'))).toBe(false);
  });
});

describe('the record activity', () => {
  let ledger: Ledger | undefined;
  afterEach(async () => ledger?.close());

  it('writes once and counts metrics once, however often it runs', async () => {
    ledger = await openLedger('sqlite::memory:');
    const metrics = createCascadeMetrics();
    const config = validateConfig({ models: {}, tasks: {} }, 'unit').config;
    const { recordOutcome } = createRecordActivities({ ledger, config: () => config, metrics });
    const o = { id: 'r1', tenant: 'acme', escalate: true };
    expect(await recordOutcome(fakeTrace(o), fakeMeta(o))).toMatchObject({ inserted: true });
    expect(await recordOutcome(fakeTrace(o), fakeMeta(o))).toMatchObject({ inserted: false });
    const s = { id: 'r1', shadowOf: 'r1' };
    await recordOutcome(fakeTrace(s), fakeMeta(s));

    const text = await metrics.registry.metrics();
    const value = (name: string, labels: Record<string, string> = {}) =>
      parseSamples(text, name)
        .filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))
        .reduce((n, x) => n + x.value, 0);
    expect(value('cascade_requests_total', { route: 'cascade', task: 'mmlu', final_model: 'large' })).toBe(1);
    expect(value('cascade_shadow_requests_total', { task: 'mmlu' })).toBe(1);
    expect(value('cascade_escalations_total', { reason: 'low_confidence' })).toBe(1);
    expect(
      value('cascade_model_attempts_total', { model: 'small', purpose: 'answer', outcome: 'rate_limited' }),
    ).toBe(1);
    expect(value('cascade_model_attempts_total', { purpose: 'shadow' })).toBe(2);
    expect(value('cascade_cost_usd_total', { task: 'mmlu' })).toBeCloseTo(0.021, 12);
    expect(value('cascade_shadow_cost_usd_total')).toBeCloseTo(0.001, 12);
    expect(value('cascade_baseline_cost_usd_total')).toBeCloseTo(0.02, 12);
    expect(value('cascade_wasted_cost_usd_total')).toBeCloseTo(0.001, 12);
    expect(value('cascade_orchestration_cost_usd_total')).toBeCloseTo(7 * 0.000025, 12);
    expect(value('cascade_request_seconds_count')).toBe(1);
    expect(value('cascade_request_seconds_sum')).toBeCloseTo(1.5, 9);
    expect(value('cascade_decision_seconds_count')).toBe(1);
    expect(value('cascade_confidence_count', { model: 'small' })).toBe(1);
    expect(value('cascade_ledger_writes_total', { result: 'inserted' })).toBe(2);
    expect(value('cascade_ledger_writes_total', { result: 'duplicate' })).toBe(1);
  });

  it('counts spend by model and by tenant, the tenant label bounded by the config', async () => {
    ledger = await openLedger('sqlite::memory:');
    const metrics = createCascadeMetrics({ tenants: () => ['acme'] });
    const config = validateConfig({ models: {}, tasks: {} }, 'unit').config;
    const { recordOutcome } = createRecordActivities({ ledger, config: () => config, metrics });
    const cases = [
      { id: 't1', tenant: 'acme', escalate: true },
      { id: 't2', tenant: 'caller-made-up-tenant-42' },
      { id: 't3' },
    ];
    for (const o of cases) await recordOutcome(fakeTrace(o), fakeMeta(o));
    const text = await metrics.registry.metrics();
    const value = (name: string, labels: Record<string, string>) =>
      parseSamples(text, name)
        .filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))
        .reduce((n, x) => n + x.value, 0);
    const traces = cases.map((o) => fakeTrace(o));
    const costOf = (model: string) =>
      traces
        .flatMap((t) => t.calls.filter((c) => c.model === model).flatMap((c) => c.attempts))
        .reduce((n, a) => n + a.costUsd, 0);
    expect(value('cascade_model_cost_usd_total', { model: 'small' })).toBeCloseTo(costOf('small'), 12);
    expect(value('cascade_model_cost_usd_total', { model: 'large' })).toBeCloseTo(costOf('large'), 12);
    expect(value('cascade_tenant_cost_usd_total', { tenant: 'acme', kind: 'model' })).toBeCloseTo(
      traces[0]!.totals.costUsd,
      12,
    );
    expect(value('cascade_tenant_cost_usd_total', { tenant: 'other', kind: 'model' })).toBeCloseTo(
      traces[1]!.totals.costUsd,
      12,
    );
    expect(value('cascade_tenant_cost_usd_total', { tenant: 'none', kind: 'model' })).toBeCloseTo(
      traces[2]!.totals.costUsd,
      12,
    );
    // A tenant the config does not name never becomes a label value of its own.
    expect(text).not.toContain('caller-made-up-tenant-42');
  });
});
