/**
 * `cascade feedback ID --score S [--label L] [--json]` as a user runs it (the compiled CLI in a
 * child process; npm test builds dist/ first), against both databases.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Ledger } from '../../src/request/ledger/types';
import { fakeOutcome } from '../helpers/fake-trace';
import { describeEachLedger, freshLedger } from '../helpers/ledgers';
import { runCascade } from '../helpers/cli';

const cascade = runCascade;

describeEachLedger('cascade feedback', (backend) => {
  let ledger: Ledger;
  let url: string;
  beforeAll(async () => {
    ({ ledger, url } = await freshLedger(backend));
    await ledger.record(fakeOutcome({ id: 'fb-req' }), { retryWindowMs: 0 });
  });
  afterAll(async () => {
    await ledger?.close();
    await backend.cleanup();
  });

  it('records a score and label, printing one JSON document with --json', async () => {
    const r = await cascade(['feedback', 'fb-req', '--score', '0.25', '--label', 'wrong', '--json'], {
      CASCADE_LEDGER_URL: url,
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ requestId: 'fb-req', score: 0.25, label: 'wrong', source: 'cli' });
    expect(await ledger.feedback('fb-req')).toEqual([doc]);

    const plain = await cascade(['feedback', 'fb-req', '--score', '5', '--ledger', url]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^feedback \d+ recorded for fb-req: score 5\n$/);
    expect(await ledger.feedback('fb-req')).toHaveLength(2);
  });

  it('refuses an unknown request id and a score that is not a number (exit 2)', async () => {
    const unknown = await cascade(['feedback', 'never-ran', '--score', '1', '--ledger', url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/no request "never-ran" in the ledger/);
    const bad = await cascade(['feedback', 'fb-req', '--score', 'great', '--ledger', url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--score must be a number/);
  });
});
