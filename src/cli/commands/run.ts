/**
 * `cascade run FILE.jsonl`: every line a request (Contracts, "Request"), run through the cascade
 * with bounded concurrency, a progress bar on stderr, and the batch summary on stdout.
 *
 * The action is a thin shell around `runCommand`, which takes its client and output streams as
 * arguments and returns the exit code, so tests run the whole command in-process.
 */
import { Client } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { CascadeClient } from '../../doors/client/cascade-client';
import { runBatch, type BatchError, type BatchRequest, type BatchResult } from '../../doors/client/batch';
import { JsonlError, readJsonl, type JsonlRow } from '../../doors/client/jsonl';
import { formatSummaryTable, summarize } from '../../doors/client/summary';
import { readEnv } from '../../env';
import { openLedger } from '../../request/ledger/open';
import { CASCADE_TASK_QUEUE } from '../../request/router/cascade-input';
import { cliDataConverter, connectForCli } from '../connect';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';
import { ledgerOpenError } from '../args';

/** 128 + SIGINT, the shell's convention for "stopped by Ctrl-C". */
export const EXIT_INTERRUPTED = 130;

/** Errors listed after the table, per kind, before "... and N more". */
const LIST_LIMIT = 20;

/** Request ids are printable ASCII without spaces (src/doors/client/request.ts); so is a prefix. */
const ID_PREFIX = /^[\x21-\x7e]{1,100}$/;

interface Out {
  write(s: string): unknown;
}

export interface RunCommandOptions {
  file: string;
  /** A connected client, or how to connect one (called after the file is read; closed at the end). */
  cascade: CascadeClient | (() => Promise<CascadeClient>);
  concurrency: number;
  /** Task for rows that name none (before the config's defaultTask). */
  task?: string;
  /** Prefixed to every request id, so a file can be run again as new requests. */
  idPrefix?: string;
  json?: boolean;
  /** Show a progress bar when stderr is a terminal (default true; never with `json`). */
  progress?: boolean;
  stdout?: Out;
  stderr?: Out & { isTTY?: boolean };
  /** Ctrl-C: stop starting requests, report what finished. */
  signal?: AbortSignal;
}

/** One line of `--json`'s `requests`. */
export interface RunRequestSummary {
  id: string;
  status: string;
  route: string;
  finalModel: string | null;
  escalations: string[];
  costUsd: number;
}

/** `--id-prefix` and `--task` applied to a row (anything not an object is left to validation). */
export function applyRowDefaults(value: unknown, opts: { task?: string; idPrefix?: string }): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const row = { ...(value as Record<string, unknown>) };
  if (opts.idPrefix && typeof row.id === 'string') row.id = opts.idPrefix + row.id;
  if (opts.task && row.task === undefined) row.task = opts.task;
  return row;
}

/** Runs the command; resolves to its exit code (0 all answered, 1 any invalid or failed, 130 interrupted). */
export async function runCommand(opts: RunCommandOptions): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  if (opts.idPrefix !== undefined && !ID_PREFIX.test(opts.idPrefix)) {
    throw new CliError('--id-prefix must be 1-100 printable characters without spaces', EXIT.usage);
  }

  let rows: JsonlRow[];
  try {
    rows = await readJsonl(opts.file);
  } catch (err) {
    if (err instanceof JsonlError) {
      throw new CliError(`${err.message}\nNothing was started; fix these lines and run again.`, EXIT.usage);
    }
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${opts.file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      EXIT.usage,
    );
  }
  if (rows.length === 0) throw new CliError(`${opts.file} has no requests (every line is blank)`, EXIT.usage);
  const requests: BatchRequest[] = rows.map((r) => ({
    line: r.line,
    value: applyRowDefaults(r.value, opts),
  }));

  const owned = typeof opts.cascade === 'function';
  const cascade = typeof opts.cascade === 'function' ? await opts.cascade() : opts.cascade;
  const showBar = opts.progress !== false && !opts.json && stderr.isTTY === true;
  const bar = showBar ? progressBar(stderr as NodeJS.WritableStream) : undefined;
  let barActive = false;
  const counts = { escalated: 0, failed: 0, invalid: 0 };
  const onAbort = () => {
    if (barActive) bar?.stop();
    barActive = false;
    stderr.write(
      'cascade: interrupted; starting no new requests. Requests already started keep running ' +
        'durably in Temporal; reporting what finished.\n',
    );
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let result: BatchResult;
  try {
    if (bar) {
      bar.start(requests.length, 0, counts);
      barActive = true;
    }
    result = await runBatch(cascade, requests, {
      concurrency: opts.concurrency,
      signal: opts.signal,
      onProgress: (p) => {
        if (p.trace && p.trace.escalations.length > 0) counts.escalated++;
        if (p.error?.kind === 'invalid_request') counts.invalid++;
        else if (p.error) counts.failed++;
        if (barActive) bar?.update(p.done, counts);
      },
    });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (barActive) bar?.stop();
    barActive = false;
    if (owned) await cascade.close().catch(() => undefined);
  }

  const summary = summarize(result.traces);
  if (opts.json) {
    const requestsOut: RunRequestSummary[] = result.traces.map((t) => ({
      id: t.requestId,
      status: t.status,
      route: t.route,
      finalModel: t.final.model,
      escalations: t.escalations.map((e) => e.reason),
      costUsd: t.totals.costUsd,
    }));
    stdout.write(
      JSON.stringify({
        file: opts.file,
        summary,
        errors: result.errors,
        requests: requestsOut,
        interrupted: result.interrupted,
        pending: result.pending,
        notStarted: result.notStarted,
      }) + '\n',
    );
  } else {
    stdout.write(textReport(opts.file, requests.length, result, formatSummaryTable(summary)));
  }
  if (result.interrupted) return EXIT_INTERRUPTED;
  return result.errors.length > 0 ? EXIT.failure : EXIT.ok;
}

function textReport(file: string, total: number, result: BatchResult, table: string): string {
  const invalid = result.errors.filter((e) => e.kind === 'invalid_request');
  const failed = result.errors.filter((e) => e.kind === 'failed');
  const parts = [
    `${file}: ${total} request${total === 1 ? '' : 's'}, ${result.traces.length} finished` +
      (invalid.length ? `, ${invalid.length} invalid (skipped)` : '') +
      '\n\n',
    table,
  ];
  if (invalid.length) parts.push(`\nInvalid requests (${invalid.length}, not started):\n`, list(invalid));
  if (failed.length) parts.push(`\nFailed requests (${failed.length}):\n`, list(failed));
  if (result.interrupted) {
    parts.push(
      `\nInterrupted: ${result.pending.length} started and still running, ${result.notStarted} not started.\n` +
        'Started workflows keep running durably in Temporal. Run the same file again to collect their ' +
        'results (same ids: nothing is paid twice) and start the rest; `cascade trace ID` shows one.\n',
    );
    if (result.pending.length) {
      parts.push(
        list(result.pending.map((p) => ({ ...p, error: 'still running', kind: 'failed' as const }))),
      );
    }
  }
  return parts.join('');
}

function list(errors: BatchError[]): string {
  const lines = errors.slice(0, LIST_LIMIT).map((e) => {
    const where = [e.line !== undefined ? `line ${e.line}` : '', e.requestId ?? ''].filter(Boolean).join(' ');
    return `  ${where ? `${where}: ` : ''}${e.error}`;
  });
  if (errors.length > LIST_LIMIT) lines.push(`  ... and ${errors.length - LIST_LIMIT} more`);
  return lines.join('\n') + '\n';
}

function progressBar(stream: NodeJS.WritableStream): SingleBar {
  return new SingleBar({
    stream,
    format:
      'cascade run [{bar}] {value}/{total} | {escalated} escalated | {failed} failed | {invalid} invalid | ETA {eta_formatted}',
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: true,
    fps: 5,
  });
}

function positiveInt(flag: string, raw: string, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new CliError(`${flag} must be an integer from 1 to ${max}, got ${JSON.stringify(raw)}`, EXIT.usage);
  }
  return n;
}

interface RunCliOptions {
  concurrency: string;
  task?: string;
  idPrefix?: string;
  json?: boolean;
  config?: string;
  address?: string;
  namespace?: string;
  progress: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run a JSONL file of requests through the cascade and print the batch summary')
    .argument('<file.jsonl>', 'one request per line: { id, task?, messages | prompt (+ system), ... }')
    .option('--concurrency <n>', 'requests in flight at once', '8')
    .option('--task <task>', 'task for rows that name none (default: the config defaultTask)')
    .option(
      '--id-prefix <prefix>',
      'prefix every request id, to run a file again as new requests (an id already run returns its first result)',
    )
    .option('--json', 'print one JSON document on stdout: { summary, errors, requests }')
    .option('-c, --config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'namespace (default: the config temporal.namespace)')
    .addOption(new Option('--no-progress', 'no progress bar (none either when stderr is not a terminal)'))
    .addHelpText(
      'after',
      `
Every line is validated before anything starts. Invalid lines are skipped and listed with
their line and field; the valid ones still run. A line that is not JSON at all refuses the
whole file (exit 2), since the file is then not what it claims to be.

The workflow id is the request id: running a file again returns the first results instead of
paying twice. Use --id-prefix (e.g. --id-prefix run2-) to run it again as new requests.

Ctrl-C stops starting new requests and reports what finished; requests already started keep
running durably in Temporal (run the same file again to collect them). Ctrl-C twice exits at once.

Exit codes: 0 every request answered; 1 any request invalid or failed; 2 usage (bad option,
unreadable file, a line that is not JSON); 3 invalid config; 4 Temporal unreachable;
130 interrupted.
`,
    )
    .action(async (file: string, opts: RunCliOptions) => {
      const concurrency = positiveInt('--concurrency', opts.concurrency, 1000);
      const config = loadConfigForCli(opts.config);
      const address = opts.address ?? readEnv().temporalAddress;
      const namespace = opts.namespace ?? config.config.temporal.namespace;
      const connect = async () => {
        const connection = await connectForCli(address);
        // Per-tenant spend caps are checked against the ledger at start: open it when a cap exists.
        const capped = Object.values(config.config.tenants).some((t) => t.monthlySpendCapUsd !== undefined);
        let ledger;
        try {
          ledger = capped ? await openLedger(readEnv().ledgerUrl) : undefined;
        } catch (err) {
          await connection.close();
          throw ledgerOpenError(err);
        }
        const cascade = new CascadeClient({
          client: new Client({ connection, namespace, dataConverter: cliDataConverter() }),
          config,
          ledger,
          ownsLedger: true,
        });
        await warnIfNoWorker(cascade, namespace);
        return cascade;
      };

      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) {
          process.stderr.write('cascade: interrupted twice, exiting now\n');
          process.exit(EXIT_INTERRUPTED);
        }
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        process.exitCode = await runCommand({
          file,
          cascade: connect,
          concurrency,
          task: opts.task,
          idPrefix: opts.idPrefix,
          json: opts.json,
          progress: opts.progress,
          signal: controller.signal,
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

/** Requests wait silently when no worker polls the cascade queue: say so up front (best effort). */
async function warnIfNoWorker(cascade: CascadeClient, namespace: string): Promise<void> {
  try {
    const res = await cascade.client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: CASCADE_TASK_QUEUE },
    });
    if (!res.pollers || res.pollers.length === 0) {
      process.stderr.write(
        `cascade: warning: no worker polls task queue "${CASCADE_TASK_QUEUE}" in namespace "${namespace}"; ` +
          'requests will wait until one starts (`npx cascade worker`, or `npx cascade dev`).\n',
      );
    }
  } catch {
    // Only a hint: a server that refuses the call still runs the batch.
  }
}
