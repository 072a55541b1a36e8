/**
 * `npm start` as a user runs it: the compiled `cascade dev --demo --exit-after-demo` in a child
 * process, starting its own Temporal dev server, recorded-model server and worker on free ports.
 * (`npm test` builds dist/ first through the pretest script.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { hasSharedData } from '../helpers/shared-data';

const root = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/cascade.js'), ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start (cascade dev --demo)', () => {
  it('brings the stack up, runs the demo through the cascade, prints the summary and READY', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-dev-'));
    const [temporal, ui, recorded] = [await freePort(), await freePort(), await freePort()];
    const config = path.join(dir, 'cascade.config.yaml');
    fs.writeFileSync(
      config,
      fs
        .readFileSync(path.join(root, 'cascade.config.yaml'), 'utf8')
        .replaceAll('localhost:8788', `localhost:${recorded}`),
    );
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      CASCADE_TEMPORAL_UI_PORT: String(ui),
      CASCADE_RECORDED_PORT: String(recorded),
      CASCADE_CONFIG: config,
      CASCADE_CACHE_DIR: dir,
      TEMPORAL_CLI_PATH: inject('temporalCliPath'),
    };
    const { code, stdout, stderr } = await run(
      ['dev', '--demo', '--exit-after-demo', '--latency-scale', '0'],
      env,
    );
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toBe('READY');
    expect(stdout).toMatch(
      new RegExp(`Temporal dev server on 127\\.0\\.0\\.1:${temporal}, Web UI http://localhost:${ui}`),
    );
    const requests = Number(/^Requests\s+(\d+)/m.exec(stdout)?.[1]);
    const answered = Number(/^\s+answered\s+(\d+)/m.exec(stdout)?.[1]);
    expect(requests).toBeGreaterThan(0);
    expect(answered).toBe(requests);
    expect(stdout).toContain('CascadeEscalated = true');
    if (hasSharedData()) {
      // The real cascades sets: some requests stand on the small model, some escalate.
      expect(Number(/^\s+low_confidence\s+(\d+)/m.exec(stdout)?.[1])).toBeGreaterThan(0);
      expect(stdout).toMatch(/^\s+llama3\.1-8b\s+\d+/m);
    }
    // The dev server it started kept its state in the cache dir, and was stopped on exit.
    expect(fs.existsSync(path.join(dir, 'temporal.sqlite'))).toBe(true);
  });
});
