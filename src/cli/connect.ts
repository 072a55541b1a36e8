import type { Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { AesGcmPayloadCodec } from '../request/codec/aes-gcm-codec';
import { codecDataConverter, codecFromEnv } from '../request/codec/from-env';
import { CodecKeyError } from '../request/codec/keys';
import { readEnv } from '../env';
import { CascadeClient } from '../doors/client/cascade-client';
import { connectTemporal, TemporalUnreachableError } from '../temporal/connection';
import { CliError, EXIT } from './errors';

/** Connects to Temporal for a command; an unreachable server is exit code 4 with the fix in the message. */
export async function connectForCli(address: string): Promise<Connection> {
  try {
    return await connectTemporal(address);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.unavailable);
  }
}

/** CascadeClient.connect for a command: an unreachable server is exit code 4, a bad codec key 2. */
export async function connectCascadeForCli(
  opts: Parameters<typeof CascadeClient.connect>[0],
): Promise<CascadeClient> {
  const payloadCodec = opts.payloadCodec ?? cliPayloadCodec();
  try {
    return await CascadeClient.connect({ ...opts, ...(payloadCodec ? { payloadCodec } : {}) });
  } catch (err) {
    if (err instanceof TemporalUnreachableError) throw new CliError(err.message, EXIT.unavailable);
    throw err;
  }
}

/**
 * The payload codec a command's Temporal clients use: the encrypting one when CASCADE_CODEC_KEYS
 * is set (docs/encryption.md), else none. A wrong key setting is a usage error naming what is wrong.
 */
export function cliPayloadCodec(): AesGcmPayloadCodec | undefined {
  try {
    return codecFromEnv(readEnv());
  } catch (err) {
    if (err instanceof CodecKeyError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** `dataConverter` for `new Client({ connection, namespace, dataConverter: cliDataConverter() })`. */
export function cliDataConverter(): DataConverter | undefined {
  return codecDataConverter(cliPayloadCodec());
}
