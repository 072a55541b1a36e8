/**
 * `cascade replay` and the library behind it (src/doors/client/replay.ts): the committed fixtures
 * replay cleanly from the workflow source of this build, a file that is not a history is refused
 * with its name, a changed history fails on its own line, and a history fetched from the real
 * dev server (by workflow id, or exported with `temporal workflow show --output json`) replays.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  historyToJson,
  InvalidHistoryError,
  parseHistory,
  readHistoryFile,
  replayHistories,
} from '../../src/doors/client/replay';
import { main } from '../../src/cli/main';
import { readEnv } from '../../src/env';
import { resolveTemporalCli } from '../../src/temporal/cli-resolver';
import { readRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';
import { fixturePath, REPLAY_STACK, ROWS_FILE, SCENARIO_NAMES } from './scenarios';

const FIXTURES = SCENARIO_NAMES.map(fixturePath);
const bundle = () => ({ workflowBundlePath: inject('workflowBundlePath') });

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-replay-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeTmp(name: string, content: string | object): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** A fixture with its first model call's activity type renamed: the code schedules callModel. */
function changedActivityType(): object {
  const h = JSON.parse(fs.readFileSync(fixturePath('no-escalation'), 'utf8')) as {
    events: Record<string, { activityType?: { name: string } }>[];
  };
  const scheduled = h.events.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'callSomethingElse';
  return h;
}

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'cascade', 'replay', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('replayHistories', () => {
  it('replays every committed fixture cleanly from the workflow source of this build', async () => {
    // No prebuilt bundle: this bundles src/temporal/workflows/ as found from src/doors/client/replay.ts.
    const histories = await Promise.all(
      FIXTURES.map(async (f) => ({ name: path.basename(f), history: await readHistoryFile(f) })),
    );
    const results = await replayHistories(histories);
    expect(results).toEqual(histories.map((h) => ({ name: h.name, ok: true })));
  });

  it('refuses files that are not histories, naming the file and the problem', async () => {
    const cases: [string, string | object, RegExp][] = [
      ['garbage.json', '\u0000\u0001 not json {', /garbage\.json: not JSON/],
      [
        'object.json',
        { hello: 'world' },
        /object\.json: not a Temporal event history: it has no "events" array/,
      ],
      ['empty.json', { events: [] }, /empty\.json: .*"events" is empty/],
      [
        'no-start.json',
        { events: [{ eventId: '1', eventType: 'EVENT_TYPE_TIMER_FIRED', timerFiredEventAttributes: {} }] },
        /no-start\.json: .*first event is not WorkflowExecutionStarted/,
      ],
      [
        'stringified.json',
        {
          events: [
            { eventId: { low: 1, high: 0, unsigned: false }, workflowExecutionStartedEventAttributes: {} },
          ],
        },
        /stringified\.json: .*JSON\.stringify/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const err = await readHistoryFile(writeTmp(name, content)).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(InvalidHistoryError);
      expect((err as Error).message, name).toMatch(message);
    }
    await expect(readHistoryFile(path.join(tmp, 'missing.json'))).rejects.toThrow(
      /missing\.json: cannot read it/,
    );
  });

  it('fails a corrupted or changed history on its own; the others still replay', async () => {
    const results = await replayHistories(
      [
        { name: 'garbage', history: 'not a history' },
        { name: 'changed', history: changedActivityType() },
        { name: 'no-escalation', history: await readHistoryFile(fixturePath('no-escalation')) },
      ],
      bundle(),
    );
    expect(results).toEqual([
      {
        name: 'garbage',
        ok: false,
        errorType: 'InvalidHistoryError',
        error: 'garbage: not a Temporal event history: expected a JSON object with "events", got a string',
      },
      {
        name: 'changed',
        ok: false,
        errorType: 'DeterminismViolationError',
        error: expect.stringMatching(/Nondeterminism error: Activity type .*callSomethingElse/),
      },
      { name: 'no-escalation', ok: true },
    ]);
  });

  it('reads older exports whose enum values are PascalCase (tctl, early Web UI)', async () => {
    const h = JSON.parse(fs.readFileSync(fixturePath('retry-after-429'), 'utf8')) as {
      events: { eventType: string }[];
    };
    for (const e of h.events) {
      e.eventType = e.eventType
        .replace(/^EVENT_TYPE_/, '')
        .toLowerCase()
        .replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());
    }
    expect(h.events[0]!.eventType).toBe('WorkflowExecutionStarted');
    const results = await replayHistories([{ name: 'pascal', history: parseHistory(h) }], bundle());
    expect(results).toEqual([{ name: 'pascal', ok: true }]);
  });
});

describe('cascade replay', () => {
  it('prints ok per history and exits 0; a changed history prints FAIL with the reason and exits 1', async () => {
    const changed = writeTmp('changed.json', changedActivityType());
    const ok = fixturePath('no-escalation');
    const res = await runCli([ok, changed]);
    expect(res.code).toBe(1);
    expect(res.stdout.split('\n').filter(Boolean)).toEqual([
      `ok   ${ok}`,
      expect.stringMatching(
        new RegExp(
          `^FAIL ${changed}: DeterminismViolationError: \\[TMPRL1100\\] Nondeterminism error: .*callSomethingElse`,
        ),
      ),
    ]);
    expect(res.stderr).toMatch(/1 of 2 histories do not replay/);
  });

  it('--json prints one JSON document', async () => {
    const res = await runCli(['--json', ...FIXTURES]);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as { passed: number; failed: number; results: unknown[] };
    expect(doc).toMatchObject({ passed: FIXTURES.length, failed: 0 });
    expect(doc.results).toEqual(FIXTURES.map((f) => ({ name: f, ok: true })));
  });

  it('refuses an unreadable or invalid history file with a usage error naming it', async () => {
    const garbage = writeTmp('garbage-cli.json', 'not json {');
    const res = await runCli([fixturePath('no-escalation'), garbage]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(new RegExp(`${garbage}: not JSON`));
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give history files, or --workflow-id/);
  });

  describe('histories of workflows on the dev server', () => {
    let stack: Stack;
    let workflowId: string;
    beforeAll(async () => {
      // Random model-id prefix: this stack must not take tasks of a concurrent recording.
      stack = await startStack({ ...REPLAY_STACK, modelIdPrefix: undefined });
      const row = readRows(ROWS_FILE).find((r) => r.id === 'prime-4-openaichat/gpt-4-0314')!;
      workflowId = `replay-cmd-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const trace = await stack.cascade.run({ id: workflowId, task: 'prime', prompt: row.prompt });
      expect(trace.status).toBe('answered');
    });
    afterAll(async () => stack?.close());

    it('--workflow-id fetches the history and replays it', async () => {
      const res = await runCli([
        '--workflow-id',
        workflowId,
        '--address',
        inject('temporalAddress'),
        '--namespace',
        inject('temporalNamespace'),
      ]);
      expect(res.stderr).toBe('');
      expect(res.stdout).toBe(`ok   ${workflowId}\n`);
      expect(res.code).toBe(0);
    });

    it('--workflow-id of an unknown workflow is a usage error naming it', async () => {
      const res = await runCli([
        '--workflow-id',
        'no-such-workflow-xyz',
        '--address',
        inject('temporalAddress'),
      ]);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/cannot fetch the history of workflow "no-such-workflow-xyz"/);
    });

    it('replays what historyToJson and `temporal workflow show --output json` export', async () => {
      const fetched = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      const exported = writeTmp('exported.json', historyToJson(fetched) as object);

      const env = readEnv();
      const cli = await resolveTemporalCli({
        explicitPath: env.temporalCliPath,
        cacheDir: env.cacheDir,
        allowSdkDownload: false,
      });
      const histories = [{ name: 'historyToJson', history: await readHistoryFile(exported) }];
      if (cli.kind === 'path') {
        const { stdout } = await promisify(execFile)(cli.path, [
          'workflow',
          'show',
          '--workflow-id',
          workflowId,
          '--output',
          'json',
          '--address',
          inject('temporalAddress'),
          '--namespace',
          inject('temporalNamespace'),
        ]);
        const shown = writeTmp('shown.json', stdout);
        histories.push({ name: 'temporal workflow show', history: await readHistoryFile(shown) });
      }
      const results = await replayHistories(histories, bundle());
      expect(results).toEqual(histories.map((h) => ({ name: h.name, ok: true })));
      expect(results).toHaveLength(cli.kind === 'path' ? 2 : 1);
    });
  });
});
