/**
 * The Temporal Web UI for the real cluster, when it can be had offline: the UI server the
 * compose stack runs (temporalio/ui:2.42.1) is a Go module with its web assets embedded, so
 * `go install github.com/temporalio/ui-server/v2/cmd/server@v2.42.1` builds it from the module
 * proxy alone (about a minute). It runs on the module's own config/docker.yaml, the template
 * the image renders, with the environment the compose stack's `temporal-ui` service sets.
 *
 *   .cascade/temporal-ui/2.42.1/temporal-ui-server
 *   .cascade/temporal-ui/2.42.1/config/docker.yaml
 */
import fs from 'node:fs';
import path from 'node:path';
import { httpOk, spawnChild, waitFor, type Child } from './child';
import { copyOut, goInstall, moduleDir } from './go-install';
import { PROJECT_ROOT } from './paths';

export const TEMPORAL_UI_VERSION = '2.42.1';
const MODULE = 'github.com/temporalio/ui-server/v2';
const LOOPBACK = 'host: 127.0.0.1';

export interface UiBinary {
  server: string;
  /** Holds docker.yaml (the image's config template). */
  configDir: string;
}

export async function resolveUi(opts: {
  cacheDir: string;
  goBinary?: string;
  log: (line: string) => void;
}): Promise<UiBinary> {
  const dir = path.join(opts.cacheDir, 'temporal-ui', TEMPORAL_UI_VERSION);
  const ui = { server: path.join(dir, 'temporal-ui-server'), configDir: path.join(dir, 'config') };
  const base = path.join(ui.configDir, 'base.yaml');
  if (fs.existsSync(ui.server) && fs.existsSync(base) && fs.readFileSync(base, 'utf8').includes(LOOPBACK)) {
    return ui;
  }
  const version = `v${TEMPORAL_UI_VERSION}`;
  await goInstall({
    pkg: `${MODULE}/cmd/server`,
    version,
    dest: ui.server,
    goBinary: opts.goBinary,
    log: opts.log,
  });
  copyOut(path.join(await moduleDir(MODULE, version, opts.goBinary), 'config'), ui.configDir);
  // The image listens on every interface (its container is the boundary); on a development
  // machine the UI, which has no login, answers on loopback only. base.yaml loads before
  // docker.yaml, which sets no host.
  fs.appendFileSync(
    base,
    `\n# cascade-router (src/tools/cluster/ui.ts): loopback only on a development machine.\n${LOOPBACK}\n`,
  );
  return ui;
}

export async function startUi(opts: {
  ui: UiBinary;
  /** The Temporal frontend. */
  address: string;
  port: number;
  namespace: string;
  logDir: string;
}): Promise<{ url: string; child: Child }> {
  const url = `http://127.0.0.1:${opts.port}`;
  const child = spawnChild({
    name: 'temporal-ui',
    command: opts.ui.server,
    args: ['--root', '/', '--config', opts.ui.configDir, '--env', 'docker', 'start'],
    // As docker-compose.yml's temporal-ui service; no codec server here (payloads are not encrypted).
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: opts.address,
      TEMPORAL_UI_PORT: String(opts.port),
      TEMPORAL_DEFAULT_NAMESPACE: opts.namespace,
      TEMPORAL_CORS_ORIGINS: `http://localhost:${opts.port}`,
    },
    cwd: PROJECT_ROOT,
    logFile: path.join(opts.logDir, 'temporal-ui.log'),
  });
  await waitFor(child, `serving ${url}`, () => httpOk(url), 60_000);
  return { url, child };
}
