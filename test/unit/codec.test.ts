import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  AesGcmPayloadCodec,
  buildCodecServer,
  CodecKeyError,
  codecFromEnv,
  ENCODING_ENCRYPTED,
  isEncryptedPayload,
  parseCodecKeys,
  payloadKeyId,
  payloadsToJson,
} from '../../src/request/codec';
import { readEnv } from '../../src/env';

const key = () => randomBytes(32).toString('base64');
const K1 = key();
const K2 = key();
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const toPayload = (v: unknown) => defaultPayloadConverter.toPayload(v);
const fromPayload = (p: Payload) => defaultPayloadConverter.fromPayload(p);

describe('AesGcmPayloadCodec', () => {
  const codec = new AesGcmPayloadCodec(parseCodecKeys(`k1:${K1}`));

  it('round-trips payloads and hides their data and metadata', async () => {
    const values = [
      { prompt: 'SECRET-PROMPT about the war of 1812', n: 3 },
      'plain string',
      null,
      new Uint8Array([1, 2, 3]),
    ];
    const encoded = await codec.encode(values.map(toPayload));
    expect(encoded).toHaveLength(values.length);
    for (const p of encoded) {
      expect(Object.keys(p.metadata!).sort()).toEqual(['encoding', 'encryption-key-id']);
      expect(text(p.metadata!.encoding)).toBe(ENCODING_ENCRYPTED);
      expect(payloadKeyId(p)).toBe('k1');
      expect(text(p.data)).not.toContain('SECRET-PROMPT');
      expect(text(p.data)).not.toContain('json/plain');
    }
    // A fresh IV each time: the same value encrypts differently.
    const again = await codec.encode([toPayload(values[0])]);
    expect(Buffer.from(again[0]!.data!).equals(Buffer.from(encoded[0]!.data!))).toBe(false);
    const decoded = await codec.decode(encoded);
    expect(decoded.map(fromPayload)).toEqual(values);
    expect(text(decoded[0]!.metadata!.encoding)).toBe('json/plain');
  });

  it('rotates keys: a new active key encrypts, the old one still decrypts', async () => {
    const before = new AesGcmPayloadCodec(parseCodecKeys(`k1:${K1}`));
    const old = await before.encode([toPayload('written under k1')]);
    const after = new AesGcmPayloadCodec(parseCodecKeys(`k1:${K1},k2:${K2}`, 'k2'));
    expect(after.activeKeyId).toBe('k2');
    const fresh = await after.encode([toPayload('written under k2')]);
    expect(payloadKeyId(fresh[0]!)).toBe('k2');
    expect((await after.decode([...old, ...fresh])).map(fromPayload)).toEqual([
      'written under k1',
      'written under k2',
    ]);
    // Once k1 is dropped, its payloads no longer decrypt: the error names the id, not the key.
    const dropped = new AesGcmPayloadCodec(parseCodecKeys(`k2:${K2}`));
    const err = await dropped.decode(old).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/key id "k1".*not among the configured keys \(k2\)/);
    expect((err as Error).message).not.toContain(K1);
    expect((err as Error).message).not.toContain(K2);
  });

  it('fails on tampered ciphertext, a swapped key id, and truncated data', async () => {
    const [p] = await codec.encode([toPayload('tamper with me')]);
    const flipped = Buffer.from(p!.data!);
    flipped[20] = flipped[20]! ^ 0x01;
    await expect(codec.decode([{ ...p!, data: flipped }])).rejects.toThrow(
      /key id "k1"\) failed authentication/,
    );
    const tag = Buffer.from(p!.data!);
    tag[tag.length - 1] = tag[tag.length - 1]! ^ 0x80;
    await expect(codec.decode([{ ...p!, data: tag }])).rejects.toThrow(/failed authentication/);
    // The key id is authenticated too: relabelling a payload with another configured id fails.
    const two = new AesGcmPayloadCodec(parseCodecKeys(`k1:${K1},k2:${K1}`));
    const relabelled = { ...p!, metadata: { ...p!.metadata, 'encryption-key-id': Buffer.from('k2') } };
    await expect(two.decode([relabelled])).rejects.toThrow(/key id "k2"\) failed authentication/);
    await expect(codec.decode([{ ...p!, data: new Uint8Array(10) }])).rejects.toThrow(
      /shorter than its IV and tag/,
    );
  });

  it('passes payloads that are not encrypted through decode unchanged', async () => {
    const plain = [toPayload({ written: 'before the codec was on' }), toPayload('x')];
    const decoded = await codec.decode(plain);
    expect(decoded[0]).toBe(plain[0]);
    expect(decoded[1]).toBe(plain[1]);
    expect(isEncryptedPayload(plain[0]!)).toBe(false);
    expect(await codec.encode([])).toEqual([]);
  });
});

describe('codec keys from the environment', () => {
  const fromEnv = (env: Record<string, string>) => codecFromEnv(readEnv(env));

  it('is off without CASCADE_CODEC_KEYS, and on with it (default active key: the first)', () => {
    expect(fromEnv({})).toBeUndefined();
    expect(fromEnv({ CASCADE_CODEC_KEYS: `a:${K1},b:${K2}` })!.activeKeyId).toBe('a');
    expect(
      fromEnv({ CASCADE_CODEC_KEYS: ` a:${K1} , b:${K2} `, CASCADE_CODEC_KEY_ID: 'b' })!.activeKeyId,
    ).toBe('b');
    expect(readEnv({}).codecPort).toBe(8789);
    expect(readEnv({ CASCADE_CODEC_PORT: '9999' }).codecPort).toBe(9999);
  });

  it.each([
    [{ CASCADE_CODEC_KEYS: `k1:not*base64!` }, /entry 1: the key of id "k1" is not valid base64/],
    [
      { CASCADE_CODEC_KEYS: `k1:${randomBytes(16).toString('base64')}` },
      /key of id "k1" is 16 bytes; AES-256 needs 32/,
    ],
    [{ CASCADE_CODEC_KEYS: `k1:${K1},k1:${K2}` }, /entry 2: duplicate key id "k1"/],
    [
      { CASCADE_CODEC_KEYS: `k1:${K1}`, CASCADE_CODEC_KEY_ID: 'k9' },
      /CASCADE_CODEC_KEY_ID "k9" is not among the keys of CASCADE_CODEC_KEYS \(k1\)/,
    ],
    [{ CASCADE_CODEC_KEY_ID: 'k1' }, /CASCADE_CODEC_KEY_ID is set but CASCADE_CODEC_KEYS is not/],
    [{ CASCADE_CODEC_KEYS: K1 }, /entry 1 has no "id:" prefix/],
    [{ CASCADE_CODEC_KEYS: `k1:${K1},` }, /entry 2 is empty/],
    [{ CASCADE_CODEC_KEYS: `bad id:${K1}` }, /key id "bad id" must be/],
    [{ CASCADE_CODEC_KEYS: `k1:` }, /key of id "k1" is not valid base64/],
  ])('refuses %j with a clear error', (env, message) => {
    let err: unknown;
    try {
      fromEnv(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodecKeyError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain(K1.slice(0, 12));
    expect((err as Error).message).not.toContain(K2.slice(0, 12));
  });
});

describe('codec server (in process)', () => {
  const codec = new AesGcmPayloadCodec(parseCodecKeys(`k1:${K1}`));
  const app = buildCodecServer({ codec, token: 's3cret', corsOrigins: ['http://localhost:8233'] });
  const auth = { authorization: 'Bearer s3cret', 'content-type': 'application/json' };

  it('encodes and decodes in the remote codec JSON', async () => {
    const body = payloadsToJson([toPayload({ hello: 'world' })]);
    const enc = await app.inject({ method: 'POST', url: '/encode', headers: auth, payload: body });
    expect(enc.statusCode).toBe(200);
    const encoded = enc.json<{ payloads: { metadata: Record<string, string>; data: string }[] }>();
    expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(
      ENCODING_ENCRYPTED,
    );
    const dec = await app.inject({ method: 'POST', url: '/decode', headers: auth, payload: encoded });
    expect(dec.statusCode).toBe(200);
    expect(dec.json()).toEqual(body);
  });

  it('answers malformed bodies with a 400 that says what is wrong', async () => {
    const bad = async (payload: string) =>
      app.inject({ method: 'POST', url: '/decode', headers: auth, payload });
    const notJson = await bad('{not json');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error).toMatch(/malformed request/);
    const noPayloads = await bad('{"foo": 1}');
    expect(noPayloads.statusCode).toBe(400);
    expect(noPayloads.json().error).toMatch(/payloads:/);
    const badB64 = await bad('{"payloads":[{"metadata":{"encoding":"!!"},"data":""}]}');
    expect(badB64.statusCode).toBe(400);
    expect(badB64.json().error).toMatch(/payloads\.0\.metadata\.encoding: must be base64/);
    const unknownKey = await bad(
      JSON.stringify(
        payloadsToJson(await new AesGcmPayloadCodec(parseCodecKeys(`old:${K2}`)).encode([toPayload(1)])),
      ),
    );
    expect(unknownKey.statusCode).toBe(400);
    expect(unknownKey.json().error).toMatch(/key id "old"/);
  });

  it('refuses bodies over the limit', async () => {
    const small = buildCodecServer({ codec, bodyLimit: 1024 });
    const res = await small.inject({
      method: 'POST',
      url: '/decode',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ payloads: [{ data: 'A'.repeat(4096) }] }),
    });
    expect(res.statusCode).toBe(413);
  });

  it('refuses browsers from other origins', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/decode',
      headers: { ...auth, origin: 'https://evil.example' },
      payload: { payloads: [] },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
