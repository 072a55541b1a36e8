import type { Command } from 'commander';
import { registerRecorded } from './recorded';
import { registerSetup } from './setup';
import { registerTemporalCli } from './temporal-cli';
import { registerConfig } from './config';
import { registerDev } from './dev';
import { registerTrace } from './trace';
import { registerCancel } from './cancel';
import { registerControl } from './control';
import { registerFeedback } from './feedback';
import { registerWorker } from './worker';
import { registerRun } from './run';
import { registerReplay } from './replay';
import { registerCalibrate } from './calibrate';
import { registerReport } from './report';
import { registerCodecServer } from './codec-server';
import { registerGateway } from './gateway';
import { registerProfile } from './profile';
import { registerAdvise } from './advise';
import { registerLoadtest } from './loadtest';

/** Every subcommand, in the order `cascade --help` lists them. */
export function registerCommands(program: Command): void {
  registerDev(program);
  registerWorker(program);
  registerGateway(program);
  registerRun(program);
  registerTrace(program);
  registerCancel(program);
  registerControl(program);
  registerFeedback(program);
  registerReplay(program);
  registerCalibrate(program);
  registerReport(program);
  registerProfile(program);
  registerAdvise(program);
  registerLoadtest(program);
  registerSetup(program);
  registerConfig(program);
  registerRecorded(program);
  registerCodecServer(program);
  registerTemporalCli(program);
}
