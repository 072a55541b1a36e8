/**
 * The codec the environment configures: `CASCADE_CODEC_KEYS` set means every worker and client
 * of this process encrypts payloads; unset means none does. Read through src/env.ts.
 */
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import type { CascadeEnv } from '../../env';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import { CodecKeyError, parseCodecKeys } from './keys';

/** The encrypting codec when keys are configured, else undefined. Throws CodecKeyError on bad keys. */
export function codecFromEnv(
  env: Pick<CascadeEnv, 'codecKeys' | 'codecKeyId'>,
): AesGcmPayloadCodec | undefined {
  if (env.codecKeys === undefined) {
    if (env.codecKeyId !== undefined) {
      throw new CodecKeyError('CASCADE_CODEC_KEY_ID is set but CASCADE_CODEC_KEYS is not');
    }
    return undefined;
  }
  return new AesGcmPayloadCodec(parseCodecKeys(env.codecKeys, env.codecKeyId));
}

/** The `dataConverter` option of a Worker or Client for a codec (undefined: Temporal's default). */
export function codecDataConverter(codec: PayloadCodec | undefined): DataConverter | undefined {
  return codec ? { payloadCodecs: [codec] } : undefined;
}
