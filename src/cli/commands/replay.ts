/**
 * `cascade replay`: replay event histories (files, or fetched by workflow id) against the
 * workflow code of this build, to learn before deploying it whether it still reproduces what
 * running and recorded workflows did. See docs/replay.md.
 */
import type { Command } from 'commander';
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import {
  defaultWorkflowsPath,
  InvalidHistoryError,
  readHistoryFile,
  replayHistories,
  type HistoryToReplay,
} from '../../doors/client/replay';
import { readEnv } from '../../env';
import { cliDataConverter, connectForCli } from '../connect';
import { CliError, EXIT } from '../errors';
import { requestIdArg } from '../args';

interface ReplayCliOptions {
  workflowId?: string[];
  address?: string;
  namespace?: string;
  json?: boolean;
  verbose?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'Replay workflow histories against the workflow code of this build (exit 1 if one does not replay)',
    )
    .argument(
      '[history.json...]',
      'history files (temporal workflow show --output json, or the Web UI download)',
    )
    .option(
      '--workflow-id <id...>',
      'fetch these workflows’ histories from the server instead of (or besides) files',
      (id: string, previous: string[] | undefined) => [...(previous ?? []), requestIdArg(id)],
    )
    .option(
      '--address <host:port>',
      'Temporal frontend for --workflow-id (default: $TEMPORAL_ADDRESS or localhost:7233)',
    )
    .option('--namespace <name>', 'namespace for --workflow-id (default: $TEMPORAL_NAMESPACE or default)')
    .option('--json', 'print one JSON document')
    .option('--verbose', 'keep the replay worker’s own log lines (stderr)')
    .action(async (files: string[], opts: ReplayCliOptions) => {
      const ids = opts.workflowId ?? [];
      if (files.length === 0 && ids.length === 0) {
        throw new CliError('give history files, or --workflow-id <id> to fetch a history', EXIT.usage);
      }
      const histories: HistoryToReplay[] = [];
      for (const file of files) {
        try {
          histories.push({ name: file, history: await readHistoryFile(file) });
        } catch (err) {
          if (err instanceof InvalidHistoryError) throw new CliError(err.message, EXIT.usage);
          throw err;
        }
      }
      if (ids.length > 0) histories.push(...(await fetchHistories(ids, opts)));

      if (!opts.verbose) quietRuntime();
      const workflowCode = defaultWorkflowsPath();
      // Histories written by encrypting workers replay only with the same codec (keys from the env).
      const dataConverter = cliDataConverter();
      const results = await replayHistories(histories, dataConverter ? { worker: { dataConverter } } : {});
      const failed = results.filter((r) => !r.ok);
      if (opts.json) {
        process.stdout.write(
          JSON.stringify({
            workflowCode,
            passed: results.length - failed.length,
            failed: failed.length,
            results,
          }) + '\n',
        );
      } else {
        for (const r of results) {
          process.stdout.write(
            r.ok ? `ok   ${r.name}\n` : `FAIL ${r.name}: ${oneLine(r.errorType, r.error)}\n`,
          );
        }
      }
      if (failed.length > 0) {
        throw new CliError(
          `${failed.length} of ${results.length} ${results.length === 1 ? 'history does' : 'histories do'} not replay ` +
            'against this workflow code; change workflows with patched() or a new workflow type (docs/replay.md)',
          EXIT.failure,
        );
      }
    });
}

async function fetchHistories(ids: string[], opts: ReplayCliOptions): Promise<HistoryToReplay[]> {
  const env = readEnv();
  const address = opts.address ?? env.temporalAddress;
  const namespace = opts.namespace ?? env.temporalNamespace;
  const connection = await connectForCli(address);
  try {
    const client = new Client({ connection, namespace });
    const out: HistoryToReplay[] = [];
    for (const id of ids) {
      try {
        out.push({ name: id, workflowId: id, history: await client.workflow.getHandle(id).fetchHistory() });
      } catch (err) {
        throw new CliError(
          `cannot fetch the history of workflow "${id}" from ${address} (namespace ${namespace}): ${(err as Error).message}`,
          EXIT.usage,
        );
      }
    }
    return out;
  } finally {
    await connection.close();
  }
}

/**
 * The replay worker logs every failed workflow task, with a long stack; the result line already
 * says why. Only possible before anything else in this process used the runtime.
 */
function quietRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR', () => {}),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // Already installed (a test process, or a command that ran a worker): keep it.
  }
}

/**
 * One line for a failure: the SDK wraps Core's reason ("[TMPRL1100] Nondeterminism error: ...")
 * in a debug dump of the failure; the line keeps the reason, `--json` keeps everything.
 */
function oneLine(type: string | undefined, message: string | undefined): string {
  const text = message ?? 'failed';
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(text)?.[1]?.replace(/\\(.)/g, '$1');
  const reason = (inner ?? text).split('\n')[0]!.trim();
  return type && type !== 'Error' && !reason.startsWith(type) ? `${type}: ${reason}` : reason;
}
