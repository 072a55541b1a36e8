import type { Command } from 'commander';
import { registerRecorded } from './recorded';
import { registerSetup } from './setup';
import { registerTemporalCli } from './temporal-cli';
import { registerConfig } from './config';

/** Every subcommand, in the order `cascade --help` lists them. */
export function registerCommands(program: Command): void {
  registerSetup(program);
  registerConfig(program);
  registerRecorded(program);
  registerTemporalCli(program);
}
