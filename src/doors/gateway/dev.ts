/**
 * The gateway under `cascade dev`: on loopback, on CASCADE_GATEWAY_PORT (8787), sharing the dev
 * worker's connection (eager workflow start). Without CASCADE_API_TOKENS auth is off, with a
 * warning. A busy port is a warning too (the rest of the stack still serves), like the metrics port.
 */
import type { CascadeEnv } from '../../env';
import type { LoadedConfig } from '../../request/config-file/load';
import { codecFromEnv } from '../../request/codec/from-env';
import type { RunningWorkers } from '../../temporal/worker';
import { resolveGatewayAuth } from './auth';
import { startGatewayOnWorkers } from './on-worker';
import type { RunningGateway } from './server';

export async function startDevGateway(opts: {
  workers: RunningWorkers;
  config: () => LoadedConfig;
  namespace: string;
  env: CascadeEnv;
  warn?: (line: string) => void;
}): Promise<RunningGateway | undefined> {
  const warn = opts.warn ?? ((line: string) => process.stderr.write(line + '\n'));
  const host = '127.0.0.1';
  const { auth, warning } = resolveGatewayAuth({ apiTokens: opts.env.apiTokens, host, allowDevNoAuth: true });
  try {
    const gateway = await startGatewayOnWorkers({
      workers: opts.workers,
      config: opts.config,
      namespace: opts.namespace,
      auth,
      host,
      port: opts.env.gatewayPort,
      uiBaseUrl: opts.env.temporalUiUrl,
      bodyLimit: opts.env.gatewayBodyLimit,
      payloadCodec: codecFromEnv(opts.env),
    });
    if (warning) warn(warning);
    return gateway;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    warn(
      `gateway port ${opts.env.gatewayPort} is busy: the gateway is not started (set CASCADE_GATEWAY_PORT)`,
    );
    return undefined;
  }
}
