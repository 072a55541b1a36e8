/** Payload encryption (docs/encryption.md): the codec, its keys, and the codec server. */
export {
  AesGcmPayloadCodec,
  ENCODING_ENCRYPTED,
  METADATA_KEY_ID,
  PayloadDecryptionError,
  isEncryptedPayload,
  payloadKeyId,
} from './aes-gcm-codec';
export { CodecKeyError, KEY_BYTES, parseCodecKeys, type CodecKeyring } from './keys';
export { codecDataConverter, codecFromEnv } from './from-env';
export { payloadsFromJson, payloadsToJson, PayloadsJsonError, type PayloadsJson } from './payload-json';
export {
  assertSafeCodecListen,
  buildCodecServer,
  CodecServerConfigError,
  isLoopbackHost,
  startCodecServer,
  DEFAULT_CORS_ORIGINS,
  type CodecServer,
  type CodecServerOptions,
} from './server';
