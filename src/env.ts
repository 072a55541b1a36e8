/**
 * The one module that reads the process environment (DESIGN.md, "Ports and environment").
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
  /** The recorded-outcome sets (../shared/data beside the project), used by the demo when present. */
  sharedDataDir: string;
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`${name} must be a TCP port number (0-65535), got ${JSON.stringify(value)}`);
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
    cacheDir,
    sharedDataDir: path.resolve(cwd, env.CASCADE_SHARED_DATA || '../shared/data'),
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
