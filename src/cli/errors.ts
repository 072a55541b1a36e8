/** Exit codes of the `cascade` command (documented in the README). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  unavailable: 4,
} as const;

/** An error meant for a person at a terminal: its message says what is wrong and what to do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
