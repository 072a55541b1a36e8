/**
 * `cascade gateway` as a user runs it (the compiled CLI in a child process, a real Temporal dev
 * server): the access log is on by default, one JSON line per request on stdout and nothing else
 * there, never the token; `--no-access-log` turns it off; /health and /ready answer without a
 * token (/ready is 503 here: `--no-worker` and no worker polls the queue).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/cli';

const TOKEN = `cli-log-MARKER${randomUUID().replace(/-/g, '')}`;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-access-log-'));
  fs.writeFileSync(
    path.join(dir, 'cascade.config.yaml'),
    [
      'temporal:',
      `  namespace: ${inject('temporalNamespace')}`,
      'models:',
      '  m1:',
      '    provider: openai-compatible',
      '    baseUrl: http://127.0.0.1:9/v1',
      '    model: m1',
      '    pricing: { inputPerMTok: 1, outputPerMTok: 1 }',
      'tasks:',
      '  t:',
      '    route: static',
      '    rungs:',
      '      - { model: m1 }',
      '',
    ].join('\n'),
  );
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Runs `cascade gateway ...extra`, makes the requests, stops it, and returns its stdout. */
async function runGateway(extra: string[], requests: (url: string) => Promise<void>): Promise<string> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(PROJECT_ROOT, 'bin/cascade.js'),
      'gateway',
      '--no-worker',
      '--port',
      String(port),
      '--task-queue',
      `no-worker-${randomUUID().slice(0, 8)}`,
      ...extra,
    ],
    {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CASCADE_API_TOKENS: `cli:${TOKEN}`,
        CASCADE_CONFIG: path.join(dir, 'cascade.config.yaml'),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        CASCADE_CACHE_DIR: path.join(dir, 'cache'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (/gateway on /.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${stderr}`)));
  });
  try {
    await requests(`http://127.0.0.1:${port}`);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  expect(stderr).not.toContain(TOKEN);
  return stdout;
}

async function someRequests(url: string): Promise<void> {
  expect((await fetch(`${url}/health`)).status).toBe(200);
  const ready = await fetch(`${url}/ready`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { failed: string[] }).failed).toEqual(['worker']);
  expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
    200,
  );
  expect((await fetch(`${url}/v1/models`, { headers: { 'x-api-key': `${TOKEN}-wrong` } })).status).toBe(401);
  const bad = await fetch(`${url}/v1/messages?token=${TOKEN}`, {
    method: 'POST',
    headers: { 'x-api-key': TOKEN, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'cascade/t', messages: [{ role: 'user', content: TOKEN }] }),
  });
  expect(bad.status).toBe(400);
}

describe('cascade gateway: the access log', () => {
  it('is on by default: one JSON line per request on stdout, without the token', async () => {
    const stdout = await runGateway([], someRequests);
    expect(stdout).not.toContain(TOKEN);
    const lines = stdout.split('\n').filter((l) => l !== '');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => [l.method, l.route, l.status, l.token_id])).toEqual([
      ['GET', '/health', 200, null],
      ['GET', '/ready', 503, null],
      ['GET', '/v1/models', 200, 'cli'],
      ['GET', '/v1/models', 401, null],
      ['POST', '/v1/messages', 400, 'cli'],
    ]);
    for (const l of parsed) {
      expect(Object.keys(l).sort()).toEqual(
        [
          'bytes_in',
          'bytes_out',
          'duration_ms',
          'method',
          'request_id',
          'route',
          'status',
          'token_id',
          'ts',
          'workflow_id',
        ].sort(),
      );
    }
  }, 120_000);

  it('is off with --no-access-log', async () => {
    const stdout = await runGateway(['--no-access-log'], someRequests);
    expect(stdout).toBe('');
  }, 120_000);
});
