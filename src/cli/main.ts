/**
 * The `cascade` command. Each subcommand lives in its own file under commands/ and registers
 * itself on the program; this file only wires them up and maps failures to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands';
import { CliError, EXIT } from './errors';
import { packageVersion } from '../version';

export function buildProgram(): Command {
  const program = new Command('cascade')
    .description('LLM routing orchestrator on Temporal')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

let pipesGuarded = false;

/**
 * A reader that stops reading (`cascade config check | head -2`) closes the pipe: the next write
 * fails with EPIPE, emitted on the stream, and unhandled it crashed the command with a stack
 * trace. Nobody is left to read the rest, so what is written there is dropped, quietly, and the
 * command ends with the exit code it would have had (0 for `config check`, 2 for a usage error
 * whose help text was cut off). Any other stream error is rethrown as before.
 */
function dropWritesToClosedPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
      throw err;
    });
  }
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  dropWritesToClosedPipes();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; an unknown command or option, a
      // missing argument or a bad choice is a usage error (commander has printed what and the help).
      return err.exitCode === 0 ? 0 : EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`cascade: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
