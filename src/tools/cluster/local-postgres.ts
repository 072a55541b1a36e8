/**
 * A throwaway PostgreSQL for `npm run stack:real` when none is given: the one .ci/postgres.sh
 * starts for the test run (Debian's postgresql, installed only when missing; a fresh cluster in
 * /tmp on a free loopback port, trusting local connections, removed at stop).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './paths';

const execFileP = promisify(execFile);
const SCRIPT = path.join(PROJECT_ROOT, '.ci', 'postgres.sh');

export interface LocalPostgres {
  /** The superuser's URL (no password: the cluster trusts loopback). */
  adminUrl: string;
  stop(): Promise<void>;
}

export async function startLocalPostgres(): Promise<LocalPostgres> {
  const { stdout } = await execFileP('bash', [SCRIPT, 'start'], { timeout: 10 * 60_000 });
  const value = (name: string) => new RegExp(`^export ${name}=(\\S+)$`, 'm').exec(stdout)?.[1];
  const adminUrl = value('CASCADE_TEST_PG_URL');
  const dir = value('CASCADE_TEST_PG_DIR');
  if (!adminUrl || !dir) throw new Error(`.ci/postgres.sh start printed no cluster:\n${stdout}`);
  let stopping: Promise<void> | undefined;
  return {
    adminUrl,
    stop: () =>
      (stopping ??= execFileP('bash', [SCRIPT, 'stop', dir], { timeout: 60_000 }).then(() => undefined)),
  };
}
