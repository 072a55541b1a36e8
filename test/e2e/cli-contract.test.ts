/**
 * The `cascade` command as a person meets it (the compiled CLI in a child process): every
 * command answers --help, and failures exit with the codes the README documents (2 usage,
 * 3 invalid config, 4 a service unreachable) and a message that says what to fix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCascade } from '../helpers/cli';

const cascade = runCascade;

/** The commands a person runs; each must explain itself. */
const COMMANDS = [
  'setup',
  'dev',
  'worker',
  'gateway',
  'recorded',
  'run',
  'trace',
  'replay',
  'cancel',
  'calibrate',
  'report',
  'feedback',
  'codec-server',
  'profile',
  'advise',
  'loadtest',
];

describe('cascade --help', () => {
  it('lists every command', async () => {
    const r = await cascade(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout, c).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });

  it.each(COMMANDS)('%s --help describes its usage and options, exit 0', async (command) => {
    const r = await cascade([command, '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Usage: cascade ${command}`);
    expect(r.stdout).toMatch(/Options:\n\s+-/);
    expect(r.stderr).toBe('');
  });
});

describe('exit codes and messages', () => {
  it('an unknown command or option, or a missing argument, is a usage error (2) that says which', async () => {
    const unknown = await cascade(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);

    const option = await cascade(['report', '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--bogus'/);

    const missing = await cascade(['trace']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument/);
  });

  it('an empty request id is a usage error (2), refused before anything connects', async () => {
    // 127.0.0.1:1: were the id not checked first, this would be exit 4 (unreachable), or 1.
    const unreachable = ['--address', '127.0.0.1:1'];
    for (const args of [
      ['trace', '', ...unreachable],
      ['trace', '  ', ...unreachable],
      ['cancel', '', ...unreachable],
      ['feedback', '', '--score', '1', '--ledger', 'sqlite::memory:'],
    ]) {
      const r = await cascade(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/invalid for argument 'request-id'\. the request id is empty/);
    }
  });

  it('a bad value is a usage error naming the flag and what it takes', async () => {
    const r = await cascade(['report', '--since', 'yesterday', '--ledger', 'sqlite::memory:']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--since must be a duration like 30m, 24h or 7d, got "yesterday"/);
  });

  it('a broken config is exit 3 with every problem by its path', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-cli-'));
    const file = path.join(dir, 'cascade.config.yaml');
    fs.writeFileSync(file, 'models: {}\ntasks:\n  qa:\n    route: cascade\n    rungs: [{ model: nope }]\n');
    try {
      const r = await cascade(['config', 'check', '--config', file]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/tasks\.qa\.rungs\[0\]\.model: unknown model "nope"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unreachable Temporal server is exit 4, naming the address and what to do', async () => {
    const r = await cascade(['trace', 'some-request', '--address', '127.0.0.1:1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('127.0.0.1:1');
  });
});
