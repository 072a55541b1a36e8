import type { Command } from 'commander';
import { readEnv } from '../../env';
import { openLedger } from '../../request/ledger/open';
import { UnknownRequestError, type FeedbackRow, type Ledger } from '../../request/ledger/types';
import { CliError, EXIT } from '../errors';
import { ledgerOpenError, requestIdArg } from '../args';

export interface FeedbackOptions {
  score: string;
  label?: string;
  source?: string;
  key?: string;
  json?: boolean;
}

export interface FeedbackDeps {
  ledger: Pick<Ledger, 'addFeedback' | 'location'>;
  write?: (text: string) => void;
}

/**
 * The action of `cascade feedback ID --score S`, with its ledger injected (tests call it
 * in-process). Prints `feedback <n> recorded for <id>: score S` (or, with --json, the feedback
 * row as one document). A score that is not a number, or an id the ledger does not have, is a
 * usage error (exit 2).
 */
export async function recordFeedback(
  id: string,
  opts: FeedbackOptions,
  deps: FeedbackDeps,
): Promise<FeedbackRow> {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const score = Number(opts.score);
  if (opts.score.trim() === '' || !Number.isFinite(score)) {
    throw new CliError(`--score must be a number, got ${JSON.stringify(opts.score)}`, EXIT.usage);
  }
  let row: FeedbackRow;
  try {
    row = await deps.ledger.addFeedback(id, {
      score,
      ...(opts.label !== undefined ? { label: opts.label } : {}),
      source: opts.source ?? 'cli',
      ...(opts.key !== undefined ? { key: opts.key } : {}),
    });
  } catch (err) {
    if (err instanceof UnknownRequestError) {
      throw new CliError(`${err.message}; ledger: ${deps.ledger.location}`, EXIT.usage);
    }
    throw err;
  }
  write(
    opts.json
      ? JSON.stringify(row) + '\n'
      : `feedback ${row.id} recorded for ${id}: score ${row.score}${row.label ? ` (${row.label})` : ''}\n`,
  );
  return row;
}

/** `cascade feedback ID --score S [--label L]`: a quality signal for a recorded request. */
export function registerFeedback(program: Command): void {
  program
    .command('feedback')
    .description(
      'Attach a quality signal (a rating, a validation result, an eval score) to a recorded request',
    )
    .argument('<request-id>', 'the request id (as recorded in the ledger)', requestIdArg)
    .requiredOption('--score <number>', 'the score (any number: a rating, 0/1, an eval score)')
    .option('--label <text>', 'a label (e.g. "wrong", "thumbs-down", "valid")')
    .option('--source <name>', 'where the signal comes from (default: cli)')
    .option('--key <text>', 'idempotency key: the same key for the same request is recorded once')
    .option('--json', 'print the recorded feedback as one JSON document')
    .option('--ledger <url>', 'the ledger (default: $CASCADE_LEDGER_URL)')
    .action(async (id: string, opts: FeedbackOptions & { ledger?: string }) => {
      const url = opts.ledger ?? readEnv().ledgerUrl;
      let ledger: Ledger;
      try {
        ledger = await openLedger(url);
      } catch (err) {
        throw ledgerOpenError(err);
      }
      try {
        await recordFeedback(id, opts, { ledger });
      } finally {
        await ledger.close();
      }
    });
}
