/**
 * `cascade codec-server`: serve Temporal's remote codec protocol with the keys of
 * CASCADE_CODEC_KEYS, so the Web UI and the `temporal` CLI show encrypted payloads in the clear
 * to whoever may call it (docs/encryption.md).
 */
import type { Command } from 'commander';
import { assertSafeCodecListen, CodecServerConfigError, startCodecServer } from '../../request/codec/server';
import { readEnv } from '../../env';
import { cliPayloadCodec } from '../connect';
import { CliError, EXIT } from '../errors';
import { untilSignal } from '../until-signal';

interface CodecServerCliOptions {
  port?: string;
  host: string;
  corsOrigin?: string[];
}

export function registerCodecServer(program: Command): void {
  program
    .command('codec-server')
    .description(
      'serve /encode and /decode (Temporal remote codec) so the Web UI and CLI can show encrypted payloads',
    )
    .option('--port <n>', 'TCP port (default: CASCADE_CODEC_PORT or 8789; 0 = any free port)')
    .option('--host <host>', 'address to listen on (keep it local: /decode reveals prompts)', '127.0.0.1')
    .option(
      '--cors-origin <origin>',
      'a browser origin allowed to call it, i.e. the Temporal UI (repeatable; default http://localhost:<UI port>)',
      collect,
    )
    .addHelpText(
      'after',
      `
Keys come from CASCADE_CODEC_KEYS (id:base64key,..., each 32 bytes: \`openssl rand -base64 32\`)
and CASCADE_CODEC_KEY_ID (the key /encode uses; default the first). Every key decrypts.
With CASCADE_CODEC_SERVER_TOKEN set, /encode and /decode require "Authorization: Bearer <token>":
anyone who can call /decode can read every prompt and answer in your histories. Without a token
it listens on loopback only: any other --host is refused (exit 2).

Point the Temporal Web UI at it:
  temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8789
  or, in the UI, the "Data Encoder" settings (the codec endpoint), per browser
Point the temporal CLI at it:
  temporal workflow show --workflow-id <request-id> --codec-endpoint http://127.0.0.1:8789
    [--codec-auth "Bearer $CASCADE_CODEC_SERVER_TOKEN"]

See docs/encryption.md.
`,
    )
    .action(async (opts: CodecServerCliOptions) => {
      const env = readEnv();
      const codec = cliPayloadCodec();
      if (!codec) {
        throw new CliError(
          'CASCADE_CODEC_KEYS is not set: there is nothing to decrypt with. Set it to the keys the ' +
            'workers use (id:base64key,...; docs/encryption.md)',
          EXIT.usage,
        );
      }
      try {
        assertSafeCodecListen(opts.host, env.codecServerToken);
      } catch (err) {
        if (err instanceof CodecServerConfigError) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
      const port = opts.port === undefined ? env.codecPort : parsePort(opts.port);
      const corsOrigins = opts.corsOrigin ?? [
        `http://localhost:${env.temporalUiPort}`,
        `http://127.0.0.1:${env.temporalUiPort}`,
      ];
      for (const origin of corsOrigins) checkOrigin(origin);
      let server;
      try {
        server = await startCodecServer({
          codec,
          host: opts.host,
          port,
          corsOrigins,
          token: env.codecServerToken,
        });
      } catch (err) {
        throw new CliError(
          `cannot listen on ${opts.host}:${port}: ${(err as Error).message} (use --port or CASCADE_CODEC_PORT)`,
          EXIT.unavailable,
        );
      }
      process.stdout.write(
        `codec server on ${server.url} (encrypting with key "${codec.activeKeyId}", ` +
          `CORS for ${corsOrigins.join(', ')}, ${env.codecServerToken ? 'bearer token required' : 'no auth'})\n`,
      );
      await untilSignal();
      await server.close();
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parsePort(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new CliError(`--port must be a TCP port number (0-65535), got ${JSON.stringify(raw)}`, EXIT.usage);
  }
  return n;
}

function checkOrigin(origin: string): void {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new CliError(
      `--cors-origin must be an origin such as http://localhost:8233, got ${JSON.stringify(origin)}`,
      EXIT.usage,
    );
  }
  // An origin is scheme://host[:port]; a path or query would never match what a browser sends.
  if (url.origin === 'null' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new CliError(
      `--cors-origin must be scheme://host[:port] without a path, got ${JSON.stringify(origin)}`,
      EXIT.usage,
    );
  }
}
