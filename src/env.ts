/**
 * The one module that reads the process environment (docs/architecture.md, "Contracts").
 * Everything else receives these values as arguments, so tests and workflows never depend on
 * ambient state. Provider API keys are read separately, by name, in the worker only
 * (see `providerKey`), and never copied into workflow inputs.
 */
import path from 'node:path';

export interface CascadeEnv {
  temporalAddress: string;
  temporalNamespace: string;
  temporalUiPort: number;
  gatewayPort: number;
  recordedPort: number;
  metricsPort: number;
  /** The Temporal SDK's own worker metrics (Runtime.install's Prometheus exporter). */
  sdkMetricsPort: number;
  ledgerUrl: string;
  configPath: string;
  /** Explicit Temporal CLI binary (skips every other resolution step). */
  temporalCliPath: string | undefined;
  /** Where downloaded or built tools are cached; git-ignored. */
  cacheDir: string;
  /** Where monitor alerts are POSTed; a secret (its path usually carries the token). */
  alertWebhookUrl: string | undefined;
  /** The recorded-outcome sets (../shared/data beside the project), used by the demo when present. */
  sharedDataDir: string;
  /**
   * Payload encryption keys, `id:base64key,...` (32-byte AES-256 keys); parsed and checked by
   * src/request/codec/keys.ts. Unset: histories are not encrypted. A secret.
   */
  codecKeys: string | undefined;
  /** The id of the key that encrypts (default: the first of codecKeys). */
  codecKeyId: string | undefined;
  /** Bearer token the codec server requires (none: no auth). A secret: it lets its holder read prompts. */
  codecServerToken: string | undefined;
  /** The codec server's port (`cascade codec-server`). */
  codecPort: number;
  /**
   * Gateway bearer tokens, `id:token,id2:token2` (parsed and checked by src/doors/gateway/auth.ts). The
   * id scopes the caller's request ids; the token is a secret. Unset: the gateway refuses to start,
   * except under `cascade dev` on loopback (auth off, with a warning).
   */
  apiTokens: string | undefined;
  /** The gateway's request body limit in bytes (CASCADE_GATEWAY_BODY_LIMIT, default 1 MiB). */
  gatewayBodyLimit: number;
  /** The Temporal Web UI base the gateway links traces to (default http://localhost:<ui port>). */
  temporalUiUrl: string;
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`${name} must be a TCP port number (0-65535), got ${JSON.stringify(value)}`);
  }
  return n;
}

function byteCount(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`${name} must be a positive number of bytes, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): CascadeEnv {
  const cacheDir = path.resolve(cwd, env.CASCADE_CACHE_DIR || '.cascade');
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || 'localhost:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    temporalUiPort: port('CASCADE_TEMPORAL_UI_PORT', env.CASCADE_TEMPORAL_UI_PORT, 8233),
    gatewayPort: port('CASCADE_GATEWAY_PORT', env.CASCADE_GATEWAY_PORT, 8787),
    recordedPort: port('CASCADE_RECORDED_PORT', env.CASCADE_RECORDED_PORT, 8788),
    metricsPort: port('CASCADE_METRICS_PORT', env.CASCADE_METRICS_PORT, 9464),
    sdkMetricsPort: port('CASCADE_SDK_METRICS_PORT', env.CASCADE_SDK_METRICS_PORT, 9465),
    ledgerUrl: env.CASCADE_LEDGER_URL || `sqlite:${path.join(cacheDir, 'ledger.sqlite')}`,
    configPath: path.resolve(cwd, env.CASCADE_CONFIG || 'cascade.config.yaml'),
    temporalCliPath: env.TEMPORAL_CLI_PATH || undefined,
    alertWebhookUrl: env.CASCADE_ALERT_WEBHOOK_URL || undefined,
    cacheDir,
    sharedDataDir: path.resolve(cwd, env.CASCADE_SHARED_DATA || '../shared/data'),
    codecKeys: env.CASCADE_CODEC_KEYS || undefined,
    codecKeyId: env.CASCADE_CODEC_KEY_ID || undefined,
    codecServerToken: env.CASCADE_CODEC_SERVER_TOKEN || undefined,
    codecPort: port('CASCADE_CODEC_PORT', env.CASCADE_CODEC_PORT, 8789),
    apiTokens: env.CASCADE_API_TOKENS || undefined,
    gatewayBodyLimit: byteCount('CASCADE_GATEWAY_BODY_LIMIT', env.CASCADE_GATEWAY_BODY_LIMIT, 1024 * 1024),
    temporalUiUrl: (
      env.CASCADE_TEMPORAL_UI_URL ||
      `http://localhost:${port('CASCADE_TEMPORAL_UI_PORT', env.CASCADE_TEMPORAL_UI_PORT, 8233)}`
    ).replace(/\/+$/, ''),
  };
}

/**
 * A provider key by the environment variable name the config gives (`apiKeyEnv`).
 * Called only where the HTTP request is made (the worker's activities): the key is never
 * part of a workflow input, a history event, a log line or the ledger.
 */
export function providerKey(
  envName: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (!envName) return undefined;
  const v = env[envName];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Every environment variable `readEnv` reads, found by running it over an environment that
 * records each name asked for (all unset, so every fallback branch reads its variable too):
 * the list cannot drift from the code above. Provider keys are not in it: their names come
 * from the config (`apiKeyEnv`). Deploy files are checked against it
 * (test/unit/docker-compose.test.ts).
 */
export const ENV_NAMES: readonly string[] = (() => {
  const names = new Set<string>();
  const recorder = new Proxy({} as NodeJS.ProcessEnv, {
    get(_target, key) {
      if (typeof key === 'string') names.add(key);
      return undefined;
    },
  });
  readEnv(recorder, '/');
  return Object.freeze([...names].sort());
})();
