/**
 * An encrypting PayloadCodec (AES-256-GCM, node:crypto). Each payload is serialised whole (the
 * Payload proto, so its metadata, e.g. `encoding: json/plain`, is hidden too) and replaced by
 *
 *   metadata { encoding: binary/encrypted, encryption-key-id: <id> }
 *   data     = 12-byte random IV | ciphertext | 16-byte tag
 *
 * The key id is also the GCM additional data, so a payload relabelled with another id fails
 * authentication. Decoding picks the key by the payload's id (rotation: the active key encrypts,
 * every configured key decrypts) and passes payloads that are not encrypted through unchanged, so
 * histories written before encryption was turned on stay readable.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKeyring } from './keys';

export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_ENCODING = 'encoding';
export const METADATA_KEY_ID = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });

/** A payload the codec cannot decrypt: an unknown key id, or data that fails authentication. */
export class PayloadDecryptionError extends Error {
  constructor(
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/** Whether a payload is one this codec (or another with the same format) encrypted. */
export function isEncryptedPayload(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING];
  return encoding != null && fromUtf8.decode(encoding) === ENCODING_ENCRYPTED;
}

/** The key id an encrypted payload names (undefined when it names none). */
export function payloadKeyId(payload: Payload): string | undefined {
  const id = payload.metadata?.[METADATA_KEY_ID];
  return id == null ? undefined : fromUtf8.decode(id);
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: CodecKeyring) {}

  /** The id new payloads are encrypted with. */
  get activeKeyId(): string {
    return this.keyring.activeKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (isEncryptedPayload(p) ? this.decrypt(p) : p));
  }

  private encrypt(payload: Payload): Payload {
    const keyId = this.keyring.activeKeyId;
    const key = this.keyring.keys.get(keyId)!;
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(utf8.encode(keyId));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING]: utf8.encode(ENCODING_ENCRYPTED),
        [METADATA_KEY_ID]: utf8.encode(keyId),
      },
      data: new Uint8Array(Buffer.concat([iv, ciphertext, cipher.getAuthTag()])),
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = payloadKeyId(payload);
    if (keyId === undefined) {
      throw new PayloadDecryptionError(
        `encrypted payload has no "${METADATA_KEY_ID}" metadata; cannot tell which key decrypts it`,
        undefined,
      );
    }
    const key = this.keyring.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload is encrypted with key id "${keyId}", which is not among the configured keys ` +
          `(${[...this.keyring.keys.keys()].join(', ')}); add it to CASCADE_CODEC_KEYS`,
        keyId,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(
        `encrypted payload (key id "${keyId}") is ${data.length} bytes, shorter than its IV and tag`,
        keyId,
      );
    }
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const ciphertext = data.subarray(IV_BYTES, data.length - TAG_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(utf8.encode(keyId));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `encrypted payload (key id "${keyId}") failed authentication: it was altered, or key "${keyId}" ` +
          'is not the key it was encrypted with',
        keyId,
      );
    }
    return temporal.api.common.v1.Payload.decode(plaintext);
  }
}
