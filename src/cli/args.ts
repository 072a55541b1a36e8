/**
 * Argument parsers for commander (`.argument(name, description, parser)`, `.option(flags,
 * description, parser)`): a bad value is refused before the command does anything (connects,
 * opens a ledger, starts a server), with commander's "argument '...' is invalid" message and the
 * usage exit code 2 (src/cli/main.ts maps every CommanderError that is not --help to it).
 */
import { InvalidArgumentError } from 'commander';
import { LedgerUrlError } from '../request/ledger/types';
import { CliError, EXIT } from './errors';

/** Temporal's default limit on a workflow id's length. */
const MAX_ID_LENGTH = 1000;

/** A request id (a workflow id): not empty, no surrounding or control whitespace, at most 1000 characters. */
export function requestIdArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('the request id is empty.');
  if (value !== value.trim())
    throw new InvalidArgumentError('the request id starts or ends with whitespace.');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidArgumentError('the request id holds a control character.');
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(`the request id is longer than ${MAX_ID_LENGTH} characters.`);
  }
  return value;
}

/** A value that must not be empty (a namespace, a file name, a list of models). */
export function nonEmptyArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('it is empty.');
  return value;
}

/** A number from 0 up (kept as the string commander passes on: the command converts it). */
export function nonNegativeNumberArg(value: string): string {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('it must be a number from 0 up.');
  }
  return value;
}

/** An integer from 1 to 1000 (kept as a string, as commander's defaults are). */
export function concurrencyArg(value: string): string {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000) {
    throw new InvalidArgumentError('it must be an integer from 1 to 1000.');
  }
  return value;
}

/**
 * The CliError for a ledger that did not open: a malformed URL is the caller's argument (usage,
 * 2), anything else (the database is down, the file cannot be created) is unavailable (4).
 */
export function ledgerOpenError(err: unknown): CliError {
  const message = `cannot open the ledger: ${(err as Error).message}`;
  return new CliError(message, err instanceof LedgerUrlError ? EXIT.usage : EXIT.unavailable);
}
