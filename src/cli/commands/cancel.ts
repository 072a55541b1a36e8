import { WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import type { CancelOutcome, CascadeClient } from '../../doors/client/cascade-client';
import { connectCascadeForCli } from '../connect';
import { readEnv } from '../../env';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';
import { nonEmptyArg, requestIdArg } from '../args';

export interface CancelOptions {
  json?: boolean;
}

export interface CancelDeps {
  cascade: Pick<CascadeClient, 'cancel'>;
  /** Where output goes (stdout by default). */
  write?: (text: string) => void;
}

/**
 * The action of `cascade cancel ID`, with its client injected (tests call it in-process).
 * Prints `cancelled <id>` (or, with --json, one document `{ requestId, runId, requested, status }`).
 * An unknown id is a usage error; a request that already finished was not cancelled, which is a
 * failure (exit 1): its model calls ran and were billed.
 */
export async function cancelRequest(
  id: string,
  opts: CancelOptions,
  deps: CancelDeps,
): Promise<CancelOutcome> {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  let outcome: CancelOutcome;
  try {
    outcome = await deps.cascade.cancel(id);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new CliError(`no request with id "${id}" (${err.message})`, EXIT.usage);
    }
    throw err;
  }
  // Cancelling a request that is already cancelled gets the same answer as the first time.
  const cancelled = outcome.requested || outcome.status === 'CANCELLED';
  if (!cancelled) {
    throw new CliError(
      `request "${id}" already finished (${outcome.status}); nothing to cancel`,
      EXIT.failure,
    );
  }
  write(opts.json ? JSON.stringify(outcome) + '\n' : `cancelled ${id}\n`);
  return outcome;
}

/** `cascade cancel ID`: cancels a running request and its in-flight model calls. */
export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description(
      'Cancel a running request: its workflow ends CANCELLED and its in-flight model call is aborted',
    )
    .argument('<request-id>', 'the request id (= the workflow id)', requestIdArg)
    .option('--json', 'print the outcome as one JSON document')
    .option('-c, --config <file>', 'config file')
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'namespace', nonEmptyArg)
    .action(
      async (id: string, opts: CancelOptions & { config?: string; address?: string; namespace?: string }) => {
        const loaded = loadConfigForCli(opts.config);
        const address = opts.address ?? readEnv().temporalAddress;
        const cascade = await connectCascadeForCli({ config: loaded, address, namespace: opts.namespace });
        try {
          await cancelRequest(id, opts, { cascade });
        } finally {
          await cascade.close();
        }
      },
    );
}
