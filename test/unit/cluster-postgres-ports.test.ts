/**
 * The small pieces of src/tools/cluster/ that the real-cluster e2e test would only catch as a failed
 * start: the ports it picks fit the server's membership table (a PostgreSQL smallint, so below
 * 32768), are never handed out twice before they are bound, and the ledger URL it builds for the
 * `cascade` role points at the right database without keeping the admin's credentials.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/tools/cluster/ports';
import { postgresTarget, roleUrl } from '../../src/tools/cluster/postgres';

describe('src/tools/cluster', () => {
  it('picks distinct free ports that fit a smallint', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(1024);
      expect(p).toBeLessThanOrEqual(32_767);
    }
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('builds the ledger URL for a role on the admin URL’s server', () => {
    const admin = 'postgres://postgres:admin-secret@127.0.0.1:5433/cascade_test?sslmode=disable';
    expect(postgresTarget(admin)).toEqual({ host: '127.0.0.1', port: 5433 });
    const url = new URL(roleUrl(admin, 'cascade', 'abc123', 'cascade_ledger_x'));
    expect(url.username).toBe('cascade');
    expect(url.password).toBe('abc123');
    expect(url.pathname).toBe('/cascade_ledger_x');
    expect(url.search).toBe('');
    expect(url.host).toBe('127.0.0.1:5433');
    expect(() => postgresTarget('mysql://x@h/db')).toThrow(/postgres:\/\//);
  });
});
