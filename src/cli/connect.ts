import type { Connection } from '@temporalio/client';
import { connectTemporal } from '../temporal/connection';
import { CliError, EXIT } from './errors';

/** Connects to Temporal for a command; an unreachable server is exit code 4 with the fix in the message. */
export async function connectForCli(address: string): Promise<Connection> {
  try {
    return await connectTemporal(address);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.unavailable);
  }
}
