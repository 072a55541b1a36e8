/**
 * The payload encryption keyring: parsed from `CASCADE_CODEC_KEYS` (`id:base64key,...`, each key
 * 32 random bytes, e.g. `openssl rand -base64 32`) and `CASCADE_CODEC_KEY_ID` (the id that
 * encrypts; default the first). Every key decrypts, so keys rotate: add a new key, make it the
 * active one, keep the old ones until no history that needs them is retained.
 *
 * Errors name the variable, the entry and what is wrong with it, never key material.
 */

/** AES-256: 32-byte keys. */
export const KEY_BYTES = 32;

/** Ids travel in payload metadata and separate entries in the variable: no `:`, `,` or spaces. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Standard base64 (what `openssl rand -base64 32` prints), padding optional. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface CodecKeyring {
  /** The key new payloads are encrypted with. */
  activeKeyId: string;
  /** Every configured key by id; all of them decrypt. */
  keys: ReadonlyMap<string, Buffer>;
}

/** A wrong `CASCADE_CODEC_KEYS` / `CASCADE_CODEC_KEY_ID`. */
export class CodecKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

/**
 * Parses and checks the keyring. `spec` is `CASCADE_CODEC_KEYS`, `activeKeyId` is
 * `CASCADE_CODEC_KEY_ID`. Throws a CodecKeyError naming what is wrong: an entry without `id:`,
 * a bad id, a key that is not base64 or not 32 bytes, a duplicate id, an active id that is not
 * among the keys.
 */
export function parseCodecKeys(spec: string, activeKeyId?: string): CodecKeyring {
  const entries = spec.split(',').map((e) => e.trim());
  if (entries.length === 1 && entries[0] === '') {
    throw new CodecKeyError('CASCADE_CODEC_KEYS is empty; expected id:base64key[,id:base64key...]');
  }
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, i) => {
    const where = `CASCADE_CODEC_KEYS entry ${i + 1}`;
    if (entry === '') throw new CodecKeyError(`${where} is empty (a stray comma?)`);
    const colon = entry.indexOf(':');
    if (colon < 0) {
      throw new CodecKeyError(`${where} has no "id:" prefix; expected id:base64key`);
    }
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      throw new CodecKeyError(
        `${where}: key id ${JSON.stringify(id)} must be 1-64 characters of A-Z a-z 0-9 . _ -`,
      );
    }
    if (keys.has(id)) throw new CodecKeyError(`${where}: duplicate key id "${id}"`);
    if (encoded === '' || !BASE64.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
      throw new CodecKeyError(
        `${where}: the key of id "${id}" is not valid base64 (make one with \`openssl rand -base64 32\`)`,
      );
    }
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new CodecKeyError(
        `${where}: the key of id "${id}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES} ` +
          '(make one with `openssl rand -base64 32`)',
      );
    }
    keys.set(id, key);
  });
  const active = activeKeyId?.trim() || [...keys.keys()][0]!;
  if (!keys.has(active)) {
    throw new CodecKeyError(
      `CASCADE_CODEC_KEY_ID "${active}" is not among the keys of CASCADE_CODEC_KEYS (${[...keys.keys()].join(', ')})`,
    );
  }
  return { activeKeyId: active, keys };
}
