import { Connection } from '@temporalio/client';

/**
 * Connects to the Temporal frontend, turning "nothing listens there" into an error a person can
 * act on (the SDK's own message is a gRPC transport error).
 */
export class TemporalUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemporalUnreachableError';
  }
}

export async function connectTemporal(address: string): Promise<Connection> {
  try {
    return await Connection.connect({ address, connectTimeout: '5s' });
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new TemporalUnreachableError(
      `Cannot reach the Temporal server at ${address} (${why}). Start one with \`npx cascade dev\`, ` +
        'or set TEMPORAL_ADDRESS to a running server.',
    );
  }
}
