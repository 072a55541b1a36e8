/**
 * The codec server decrypts every history for whoever calls /decode, so it refuses to listen
 * anywhere but loopback without a token (issue #16: it used to start, and the CLI only warned).
 * Real sockets: a server that may start does listen, and one that may not never opens a port.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec } from '../../src/request/codec/aes-gcm-codec';
import { parseCodecKeys } from '../../src/request/codec/keys';
import { CodecServerConfigError, isLoopbackHost, startCodecServer } from '../../src/request/codec/server';

const codec = new AesGcmPayloadCodec(parseCodecKeys(`k1:${randomBytes(32).toString('base64')}`));

describe('the codec server off loopback', () => {
  it('tells loopback addresses from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.5',
      '192.168.1.2',
      'example.com',
      '127.0.0.1.example.com',
      '128.0.0.1',
    ])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses to listen on 0.0.0.0 or :: without a token, naming the fix', async () => {
    for (const host of ['0.0.0.0', '::']) {
      for (const token of [undefined, '']) {
        const started = startCodecServer({ codec, host, port: 0, token });
        await expect(started).rejects.toBeInstanceOf(CodecServerConfigError);
        await expect(started).rejects.toThrow(/CASCADE_CODEC_SERVER_TOKEN/);
      }
    }
  });

  it('listens there with a token, and then requires it', async () => {
    const token = randomBytes(16).toString('hex');
    const server = await startCodecServer({ codec, host: '0.0.0.0', port: 0, token });
    try {
      const url = `http://127.0.0.1:${server.port}/decode`;
      const body = JSON.stringify({ payloads: [] });
      const headers = { 'content-type': 'application/json' };
      expect((await fetch(url, { method: 'POST', headers, body })).status).toBe(401);
      const ok = await fetch(url, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${token}` },
        body,
      });
      expect(ok.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('listens on loopback without a token, as before', async () => {
    const server = await startCodecServer({ codec, host: '127.0.0.1', port: 0 });
    await server.close();
  });
});
