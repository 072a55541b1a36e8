/**
 * Replaying recorded event histories against the workflow code of this build: the check that a
 * change to workflow code still reproduces, command for command, what running workflows already
 * did. Used by `cascade replay`, by this project's tests (test/replay), and from a user's own
 * tests (docs/replay.md):
 *
 *   const results = await replayHistories([
 *     { name: 'prod-123.json', history: await readHistoryFile('test/histories/prod-123.json') },
 *   ]);
 *   expect(results.filter((r) => !r.ok)).toEqual([]);
 *
 * Histories are read in the JSON format of `temporal workflow show --output json`, the Web UI's
 * download and the SDK's historyToJSON. The conversion goes through the protobufjs copy that
 * @temporalio/proto itself uses, so it works whether or not npm deduplicated protobufjs (when it
 * did not, the SDK's own historyFromJSON/historyToJSON fail with "type must be a Type").
 */
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import type * as ProtoModule from '@temporalio/proto';
import type * as PatchModule from '@temporalio/proto/lib/patch-protobuf-root';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';

export type { History };

/** A history that is not one: unreadable, not JSON, or not a Temporal event history. */
export class InvalidHistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidHistoryError';
  }
}

export interface HistoryToReplay {
  /** How results and errors name it: a file name, a workflow id. */
  name: string;
  /** A JSON history (parsed or not yet checked) or a History fetched with the client. */
  history: unknown;
  /** The workflow id the replay runs under (histories do not contain it); default `name`. */
  workflowId?: string;
}

export interface ReplayOutcome {
  name: string;
  ok: boolean;
  /** Why it failed: the SDK's message, or why the history could not be read. */
  error?: string;
  /**
   * `DeterminismViolationError`: the code issues different commands than the history recorded;
   * `ReplayError`: replay failed otherwise (e.g. the workflow type is not in this code);
   * `InvalidHistoryError`: the input is not a history.
   */
  errorType?: string;
}

export interface ReplayOptions {
  /** Workflow code to replay against; default: the workflows of this build (defaultWorkflowsPath). */
  workflowsPath?: string;
  /** A prebuilt workflow bundle (bundleWorkflowCode output) instead of workflowsPath. */
  workflowBundlePath?: string;
  /** Anything else a replay worker takes, e.g. the dataConverter of an encrypting payload codec. */
  worker?: Omit<ReplayWorkerOptions, 'workflowsPath' | 'workflowBundle'>;
}

/**
 * The workflow code of this build: `src/temporal/workflows/index.ts` when running from source,
 * `dist/src/temporal/workflows/index.js` when running the compiled package.
 */
export function defaultWorkflowsPath(): string {
  const dir = path.resolve(__dirname, '../../temporal/workflows');
  for (const file of ['index.js', 'index.ts']) {
    const candidate = path.join(dir, file);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`cannot find the workflow code of this build (no index.js or index.ts in ${dir})`);
}

// The History message type and its JSON codec from one and the same protobufjs instance: the
// one of the @temporalio/proto that the worker encodes replayed histories with.
const workerRequire = createRequire(require.resolve('@temporalio/worker'));
const proto = workerRequire('@temporalio/proto') as typeof ProtoModule;
const { patchProtobufRoot } = workerRequire(
  '@temporalio/proto/lib/patch-protobuf-root',
) as typeof PatchModule;
const protojson = createRequire(workerRequire.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as {
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
  toJson(type: unknown, message: unknown): unknown;
};
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);
const HistoryMessage = proto.temporal.api.history.v1.History;

/** A History (as fetchHistory returns it) as a JSON value, in the format `parseHistory` reads. */
export function historyToJson(history: History): unknown {
  return protojson.toJson(historyType, HistoryMessage.fromObject(history));
}

/**
 * Checks and decodes a history. Accepts the proto JSON format (enum values in either
 * `EVENT_TYPE_WORKFLOW_EXECUTION_STARTED` or older `WorkflowExecutionStarted` style) and a
 * History already decoded by the client. Throws InvalidHistoryError saying what is wrong.
 */
export function parseHistory(value: unknown, source = 'history'): History {
  const fail = (why: string): never => {
    throw new InvalidHistoryError(`${source}: not a Temporal event history: ${why}`);
  };
  if (!isObject(value)) return fail(`expected a JSON object with "events", got ${describe(value)}`);
  const events = value.events;
  if (!Array.isArray(events)) return fail('it has no "events" array');
  if (events.length === 0) return fail('"events" is empty');
  const first: unknown = events[0];
  if (!isObject(first)) return fail('event 1 is not an object');
  const eventId = first.eventId;
  if (isObject(eventId) && eventId.__isLong__ === true) {
    // Decoded already (fetchHistory): int64 fields are Longs, timestamps messages. Keep as is.
    return checkFirstEvent(value as History, fail);
  }
  if (isObject(eventId)) {
    return fail(
      'event ids are objects, as JSON.stringify writes a fetched History; export histories with ' +
        '`temporal workflow show --output json` or historyToJson(await handle.fetchHistory())',
    );
  }
  let fixed: unknown[];
  try {
    fixed = events.map((e, i) => normalizeEvent(e, i));
  } catch (err) {
    return fail((err as Error).message);
  }
  let decoded: History;
  try {
    decoded = protojson.fromJson(historyType, { events: fixed }, { ignoreUnknownFields: true }) as History;
  } catch (err) {
    return fail((err as Error).message);
  }
  return checkFirstEvent(decoded, fail);
}

function checkFirstEvent(history: History, fail: (why: string) => never): History {
  const first = history.events?.[0];
  if (!first) return fail('"events" is empty');
  if (!first.workflowExecutionStartedEventAttributes) {
    return fail(
      'its first event is not WorkflowExecutionStarted (a history must be complete from the start)',
    );
  }
  return history;
}

/** Reads a history file; InvalidHistoryError names the file and what is wrong with it. */
export async function readHistoryFile(file: string): Promise<History> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InvalidHistoryError(`${file}: cannot read it (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidHistoryError(`${file}: not JSON (${(err as Error).message.replace(/\s+/g, ' ')})`);
  }
  return parseHistory(json, file);
}

/**
 * Replays each history against the workflow code (one replay worker for all of them) and
 * reports, in input order, whether it replayed cleanly. An input that is not a history fails
 * on its own without stopping the others. Never throws for a failed replay.
 */
export async function replayHistories(
  histories: HistoryToReplay[],
  opts: ReplayOptions = {},
): Promise<ReplayOutcome[]> {
  const results: (ReplayOutcome | undefined)[] = histories.map(() => undefined);
  const toReplay: { index: number; history: History; workflowId: string }[] = [];
  histories.forEach((h, index) => {
    try {
      toReplay.push({ index, history: parseHistory(h.history, h.name), workflowId: h.workflowId ?? h.name });
    } catch (err) {
      if (!(err instanceof InvalidHistoryError)) throw err;
      results[index] = { name: h.name, ok: false, error: err.message, errorType: err.name };
    }
  });

  if (toReplay.length > 0) {
    const code: Pick<ReplayWorkerOptions, 'workflowsPath' | 'workflowBundle'> = opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: opts.workflowsPath ?? defaultWorkflowsPath() };
    let done = 0;
    try {
      const replays = Worker.runReplayHistories(
        { ...opts.worker, ...code },
        toReplay.map(({ history, workflowId }) => ({ history, workflowId })),
      );
      for await (const r of replays) {
        const item = toReplay[done++]!;
        const name = histories[item.index]!.name;
        results[item.index] = r.error
          ? { name, ok: false, error: r.error.message, errorType: r.error.name }
          : { name, ok: true };
      }
    } catch (err) {
      // The replay worker itself failed (e.g. the workflow code does not bundle).
      const message = err instanceof Error ? err.message : String(err);
      for (const item of toReplay.slice(done)) {
        results[item.index] = {
          name: histories[item.index]!.name,
          ok: false,
          error: `the replay worker failed: ${message}`,
          errorType: err instanceof Error ? err.name : 'Error',
        };
      }
    }
  }
  return results.map(
    (r, i) =>
      r ?? { name: histories[i]!.name, ok: false, error: 'no replay result', errorType: 'ReplayError' },
  );
}

// Older exports (tctl, early Web UI) write enum values as `WorkflowExecutionStarted`; protobufjs
// reads only the `EVENT_TYPE_WORKFLOW_EXECUTION_STARTED` form.
const ENUM_FIELDS: [field: string, prefix: string][] = [
  ['parentClosePolicy', 'PARENT_CLOSE_POLICY'],
  ['workflowIdReusePolicy', 'WORKFLOW_ID_REUSE_POLICY'],
  ['initiator', 'CONTINUE_AS_NEW_INITIATOR'],
  ['retryState', 'RETRY_STATE'],
];

function normalizeEvent(event: unknown, index: number): unknown {
  if (!isObject(event)) throw new Error(`event ${index + 1} is not an object`);
  const attrKey = Object.keys(event).find((k) => k.endsWith('EventAttributes'));
  if (!attrKey) throw new Error(`event ${index + 1} has no *EventAttributes`);
  const attrs = event[attrKey];
  if (!isObject(attrs)) throw new Error(`event ${index + 1}: ${attrKey} is not an object`);
  const fixedAttrs: Record<string, unknown> = { ...attrs };
  for (const [field, prefix] of ENUM_FIELDS) fixEnum(fixedAttrs, field, prefix);
  if (isObject(attrs.taskQueue)) {
    fixedAttrs.taskQueue = { ...attrs.taskQueue };
    fixEnum(fixedAttrs.taskQueue as Record<string, unknown>, 'kind', 'TASK_QUEUE_KIND');
  }
  if (isObject(attrs.childWorkflowExecutionFailureInfo)) {
    fixedAttrs.childWorkflowExecutionFailureInfo = { ...attrs.childWorkflowExecutionFailureInfo };
    fixEnum(
      fixedAttrs.childWorkflowExecutionFailureInfo as Record<string, unknown>,
      'retryState',
      'RETRY_STATE',
    );
  }
  const fixed: Record<string, unknown> = { ...event, [attrKey]: fixedAttrs };
  fixEnum(fixed, 'eventType', 'EVENT_TYPE');
  return fixed;
}

function fixEnum(obj: Record<string, unknown>, field: string, prefix: string): void {
  const v = obj[field];
  if (typeof v !== 'string' || v === '' || v.startsWith(prefix)) return;
  obj[field] = `${prefix}_${v.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : typeof v;
}
