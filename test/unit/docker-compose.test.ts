/**
 * The production stack (docker-compose.yml, Dockerfile, deploy/) checked structurally, since no
 * machine that runs the tests can run containers: images pinned, long-running services with
 * ports, volumes and healthchecks, a start order that is a DAG with valid conditions, only
 * environment variables the code reads (src/env.ts's ENV_NAMES, or a provider key the mounted
 * config names), Prometheus targets that exist, dashboard and alert metrics that the code
 * registers, a sample config that validates, and a pinned, non-root image. `docker compose
 * config` runs too when a docker client is installed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isLoopbackHost } from '../../src/request/codec/server';
import { loadConfig } from '../../src/request/config-file/load';
import { DYNAMIC_CONFIG_FILE, SERVER_CONFIG_DIR } from '../../src/tools/cluster/paths';
import { ENV_NAMES } from '../../src/env';
import { createCascadeMetrics } from '../../src/watch/telemetry/metrics';
import { registerMonitorGauges } from '../../src/watch/telemetry/monitor-gauges';

const root = path.resolve(__dirname, '../..');
const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
const exists = (rel: string) => fs.existsSync(path.join(root, rel));

type Env = Record<string, string | number | boolean | null> | string[];
interface Healthcheck {
  test?: string | string[];
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  restart?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: Env;
  env_file?: string | (string | { path: string })[];
  ports?: (string | number | { target: number; published?: string | number })[];
  expose?: (string | number)[];
  volumes?: (string | { source?: string; target: string })[];
  healthcheck?: Healthcheck;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const services = compose.services;
const names = Object.keys(services);
const pkg = JSON.parse(read('package.json')) as { version: string };

// ---- helpers over the compose model ----

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/);

function envOf(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const i = e.indexOf('=');
        return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

const envFiles = (s: Service): string[] =>
  (s.env_file === undefined ? [] : Array.isArray(s.env_file) ? s.env_file : [s.env_file]).map((f) =>
    typeof f === 'string' ? f : f.path,
  );

/** The variable names an env file sets, read from the `.example` shipped beside it. */
function envFileNames(file: string): string[] {
  return read(`${file}.example`)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.slice(0, l.indexOf('=')).trim());
}

/** Every variable a service is given: `environment` plus its env files. */
const allEnvNames = (s: Service): string[] => [
  ...Object.keys(envOf(s)),
  ...envFiles(s).flatMap((f) => envFileNames(f)),
];

function dependsOn(s: Service): Record<string, string> {
  const d = s.depends_on ?? [];
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v.condition ?? 'service_started']));
}

/** Container-side ports a service declares (published or exposed to the stack's network). */
function containerPorts(s: Service): Set<number> {
  const out = new Set<number>();
  for (const p of s.ports ?? []) {
    if (typeof p === 'object') out.add(p.target);
    else out.add(Number(String(p).split(':').pop()!.split('/')[0]));
  }
  for (const p of s.expose ?? []) out.add(Number(String(p).split('/')[0]));
  return out;
}

function volumeMounts(s: Service): { source: string; target: string }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: v.source ?? '', target: v.target };
    const [source, target] = v.split(':');
    return { source: source!, target: target! };
  });
}

const isCascade = (s: Service) => s.build !== undefined || (s.image ?? '').startsWith('cascade-router:');
const ONE_SHOT_RESTART = /^(no|on-failure(:\d+)?)$/;
/** One-shot services: another waits for them to complete, and they do not restart forever. */
const oneShot = new Set(
  names.filter((n) => names.some((m) => dependsOn(services[m]!)[n] === 'service_completed_successfully')),
);
const longRunning = names.filter((n) => !oneShot.has(n));
/** Long-running services that keep no state and read no file: nothing to mount. */
const STATELESS = new Set(['temporal-ui', 'cascade-codec-server']);

const commandOf = (s: Service) => list(s.command);
// Services that call models: the workers, and a gateway running its own worker (the default;
// `--no-worker` turns it off).
const workers = names.filter((n) => {
  const command = commandOf(services[n]!);
  return (
    isCascade(services[n]!) &&
    (command[0] === 'worker' || (command[0] === 'gateway' && !command.includes('--no-worker')))
  );
});

// ---- the sample config and the names the code reads ----

const configFile = path.join(root, 'deploy/cascade.config.yaml');
const providerKeyNames = (): Set<string> => {
  const { config } = loadConfig(configFile);
  const out = new Set<string>();
  for (const m of Object.values(config.models)) {
    if (m.apiKeyEnv) out.add(m.apiKeyEnv);
    for (const f of m.failover) if (f.apiKeyEnv) out.add(f.apiKeyEnv);
  }
  return out;
};

/** What src/env.ts reads, straight from its source: ENV_NAMES must not miss any of it. */
function envNamesInSource(): Set<string> {
  const src = read('src/env.ts');
  const found = new Set<string>();
  for (const m of src.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) found.add(m[1]!);
  for (const m of src.matchAll(/\benv\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g)) found.add(m[1]!);
  return found;
}

const dockerAvailable = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;

describe('docker-compose.yml', () => {
  // Without a docker client (no machine running these tests has one) this one is skipped, and
  // says so; everything below is the structural check that still runs.
  it.skipIf(!dockerAvailable)(
    `is accepted by \`docker compose config\`${dockerAvailable ? '' : ' (skipped: no docker client on this machine)'}`,
    () => {
      // --no-env-resolution: the real deploy/secrets/*.env files are not in the repository.
      const r = spawnSync(
        'docker',
        ['compose', '-f', 'docker-compose.yml', 'config', '--quiet', '--no-env-resolution'],
        {
          cwd: root,
          encoding: 'utf8',
        },
      );
      expect(r.stderr, r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );

  it('has the services of the production stack', () => {
    for (const n of [
      'postgresql',
      'temporal-schema',
      'temporal',
      'temporal-create-namespace',
      'cascade-setup',
      'cascade-worker',
      'cascade-gateway',
      'cascade-codec-server',
      'temporal-ui',
      'prometheus',
      'grafana',
    ]) {
      expect(names, n).toContain(n);
    }
    // The gateway runs a worker of its own (eager workflow start), so it calls models too.
    expect(workers).toEqual(['cascade-worker', 'cascade-gateway']);
    expect(commandOf(services['cascade-gateway']!)[0]).toBe('gateway');
    expect(commandOf(services['cascade-codec-server']!)[0]).toBe('codec-server');
    expect(commandOf(services['cascade-setup']!)[0]).toBe('setup');
  });

  it('pins every image to an exact version, or builds it from the Dockerfile at the package version', () => {
    const exact = /^v?\d+(\.\d+)+([-.][A-Za-z0-9.-]+)?$/;
    for (const n of names) {
      const s = services[n]!;
      if (s.build !== undefined) {
        const context = typeof s.build === 'string' ? s.build : s.build.context;
        const dockerfile = typeof s.build === 'string' ? 'Dockerfile' : (s.build.dockerfile ?? 'Dockerfile');
        expect(exists(path.join(context, dockerfile)), `${n}: ${dockerfile}`).toBe(true);
        expect(s.image, `${n}: the built image's tag`).toBe(`cascade-router:${pkg.version}`);
        continue;
      }
      expect(s.image, `${n} has no image`).toBeTruthy();
      const image = s.image!;
      expect(image, `${n}: no variables in image names`).not.toContain('$');
      const at = image.lastIndexOf(':');
      expect(at, `${n}: ${image} has no tag`).toBeGreaterThan(image.lastIndexOf('/'));
      const tag = image.slice(at + 1);
      expect(tag, `${n}: ${image}`).not.toMatch(/^(latest|stable|main|edge|nightly)$/);
      expect(tag, `${n}: ${image} is not an exact version`).toMatch(exact);
    }
    // Temporal: the server the tests run on (1.29.1), its schema from the same release's tools.
    const tag = (n: string) => services[n]!.image!.split(':').pop()!;
    expect(tag('temporal')).toMatch(/^1\.29\.\d+$/);
    for (const n of ['temporal-schema', 'temporal-create-namespace']) {
      expect(services[n]!.image).toMatch(/^temporalio\/admin-tools:/);
      expect(tag(n).startsWith(`${tag('temporal')}-`) || tag(n) === tag('temporal'), n).toBe(true);
    }
  });

  it('declares ports, volumes, a healthcheck and a restart policy for every long-running service', () => {
    expect(longRunning.length).toBeGreaterThanOrEqual(8);
    for (const n of longRunning) {
      const s = services[n]!;
      expect(containerPorts(s).size, `${n}: ports or expose`).toBeGreaterThan(0);
      expect(s.healthcheck?.disable, `${n}: healthcheck disabled`).not.toBe(true);
      expect(list(s.healthcheck?.test).length, `${n}: healthcheck`).toBeGreaterThan(0);
      expect(s.restart, `${n}: restart`).toMatch(/^(always|unless-stopped)$/);
      if (!STATELESS.has(n)) expect(volumeMounts(s).length, `${n}: volumes`).toBeGreaterThan(0);
    }
    // Named volumes are declared; stateful services keep their data in one.
    const declared = Object.keys(compose.volumes ?? {});
    for (const n of names) {
      for (const { source } of volumeMounts(services[n]!)) {
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(declared, `${n}: ${source}`).toContain(source);
        else expect(exists(source), `${n}: bind mount ${source}`).toBe(true);
      }
    }
    const dataVolume = (n: string, target: string) =>
      volumeMounts(services[n]!).some((v) => v.target === target && declared.includes(v.source));
    expect(dataVolume('postgresql', '/var/lib/postgresql/data')).toBe(true);
    expect(dataVolume('prometheus', '/prometheus')).toBe(true);
    expect(dataVolume('grafana', '/var/lib/grafana')).toBe(true);
  });

  it('runs one-shot services once, with what they run present', () => {
    expect([...oneShot].sort()).toEqual(['cascade-setup', 'temporal-create-namespace', 'temporal-schema']);
    for (const n of oneShot) {
      const s = services[n]!;
      expect(s.restart ?? 'no', n).toMatch(ONE_SHOT_RESTART);
      const script = list(s.entrypoint).find((a) => a.startsWith('/scripts/'));
      if (script) {
        const mount = volumeMounts(s).find((v) => v.target === '/scripts');
        expect(mount, `${n}: /scripts mount`).toBeTruthy();
        expect(exists(path.join(mount!.source, script.slice('/scripts/'.length))), script).toBe(true);
      }
    }
  });

  it('runs the Temporal server on the config files `npm run stack:real` runs it on (src/tools/cluster/)', () => {
    const temporal = services['temporal']!;
    const env = envOf(temporal);
    const mounts = volumeMounts(temporal);
    const sourceOf = (target: string) =>
      mounts.find((m) => target === m.target || target.startsWith(`${m.target}/`));
    // Started by the shared script, not the image's entrypoint (which renders its own template).
    expect(list(temporal.entrypoint)).toEqual(['/bin/sh', '/scripts/start-server.sh']);
    expect(sourceOf('/scripts')?.source).toBe('./deploy/temporal/scripts');
    // The config folder and the dynamic config file are the very ones the local cluster uses.
    const configDir = sourceOf(env['TEMPORAL_CONFIG_DIR']!);
    expect(configDir?.target).toBe(env['TEMPORAL_CONFIG_DIR']);
    expect(path.resolve(root, configDir!.source)).toBe(SERVER_CONFIG_DIR);
    const dyn = sourceOf(env['DYNAMIC_CONFIG_FILE_PATH']!);
    expect(dyn, 'DYNAMIC_CONFIG_FILE_PATH lies in a mount').toBeTruthy();
    expect(
      path.resolve(root, dyn!.source, path.relative(dyn!.target, env['DYNAMIC_CONFIG_FILE_PATH']!)),
    ).toBe(DYNAMIC_CONFIG_FILE);
    // Every variable the server config requires is given to the service.
    const template = read('deploy/temporal/config/production-sql.yaml');
    const required = [...template.matchAll(/template "required" "([A-Z_]+)"/g)].map((m) => m[1]!);
    expect(required).toContain('POSTGRES_PWD');
    for (const name of required) expect(allEnvNames(temporal), name).toContain(name);
    // start-server.sh passes --env production-sql: the file the server loads from that folder.
    expect(read('deploy/temporal/scripts/start-server.sh')).toContain('--env production-sql');
  });

  it('starts in an acyclic order with valid conditions', () => {
    const valid = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
    for (const n of names) {
      for (const [dep, condition] of Object.entries(dependsOn(services[n]!))) {
        expect(names, `${n} depends on unknown ${dep}`).toContain(dep);
        expect(valid, `${n} -> ${dep}: ${condition}`).toContain(condition);
        if (condition === 'service_healthy') {
          expect(list(services[dep]!.healthcheck?.test).length, `${dep} has no healthcheck`).toBeGreaterThan(
            0,
          );
        }
        if (condition === 'service_completed_successfully') {
          expect(services[dep]!.restart ?? 'no', `${dep} must exit`).toMatch(ONE_SHOT_RESTART);
        }
      }
    }
    // Depth-first search for a cycle.
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (n: string, trail: string[]): void => {
      if (state.get(n) === 'done') return;
      expect(state.get(n), `cycle: ${[...trail, n].join(' -> ')}`).not.toBe('visiting');
      state.set(n, 'visiting');
      for (const dep of Object.keys(dependsOn(services[n]!))) visit(dep, [...trail, n]);
      state.set(n, 'done');
    };
    for (const n of names) visit(n, []);

    // The order that matters: schema before the server, server healthy before the namespace,
    // namespace before the search attributes, search attributes before worker and gateway.
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      Object.keys(dependsOn(services[from]!)).some(
        (d) => d === to || (!seen.has(d) && (seen.add(d), reaches(d, to, seen))),
      );
    expect(dependsOn(services['temporal']!)['temporal-schema']).toBe('service_completed_successfully');
    expect(dependsOn(services['temporal-create-namespace']!)['temporal']).toBe('service_healthy');
    expect(reaches('cascade-setup', 'temporal-create-namespace')).toBe(true);
    for (const n of ['cascade-worker', 'cascade-gateway']) {
      expect(dependsOn(services[n]!)['cascade-setup'], n).toBe('service_completed_successfully');
      expect(dependsOn(services[n]!)['postgresql'], n).toBe('service_healthy');
    }
  });

  it('gives the cascade services only variables src/env.ts reads, or provider keys the config names', () => {
    // ENV_NAMES is derived by running readEnv; it must cover every read in the source.
    for (const n of envNamesInSource()) expect(ENV_NAMES, `src/env.ts reads ${n}`).toContain(n);
    const keys = providerKeyNames();
    expect(keys.size).toBeGreaterThan(0);
    const cascade = names.filter((n) => isCascade(services[n]!));
    expect(cascade.length).toBe(4);
    for (const n of cascade) {
      for (const name of allEnvNames(services[n]!)) {
        const ok = ENV_NAMES.includes(name) || (workers.includes(n) && keys.has(name));
        expect(ok, `${n}: ${name} is neither read by src/env.ts nor a provider key of the worker`).toBe(true);
      }
    }
    // Every key the config names reaches each service that calls models; no other service gets any.
    for (const n of workers) {
      const env = new Set(allEnvNames(services[n]!));
      for (const k of keys) expect(env, `${n} lacks ${k}`).toContain(k);
    }
    for (const n of names.filter((m) => !workers.includes(m))) {
      for (const k of keys) expect(allEnvNames(services[n]!), `${n} gets ${k}`).not.toContain(k);
    }
    // What the brief's cascade services need is there.
    const need: Record<string, string[]> = {
      'cascade-worker': [
        'TEMPORAL_ADDRESS',
        'TEMPORAL_NAMESPACE',
        'CASCADE_LEDGER_URL',
        'CASCADE_CONFIG',
        'CASCADE_CODEC_KEYS',
        'CASCADE_ALERT_WEBHOOK_URL',
      ],
      'cascade-gateway': [
        'TEMPORAL_ADDRESS',
        'TEMPORAL_NAMESPACE',
        'CASCADE_LEDGER_URL',
        'CASCADE_CONFIG',
        'CASCADE_CODEC_KEYS',
        'CASCADE_API_TOKENS',
      ],
      'cascade-codec-server': ['CASCADE_CODEC_KEYS', 'CASCADE_CODEC_SERVER_TOKEN'],
      'cascade-setup': ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE'],
    };
    for (const [n, vars] of Object.entries(need)) {
      for (const v of vars) expect(allEnvNames(services[n]!), `${n}: ${v}`).toContain(v);
    }
  });

  it('gives a codec server that listens off loopback its token, and no other service the token', () => {
    // `cascade codec-server` refuses to listen beyond loopback without CASCADE_CODEC_SERVER_TOKEN
    // (src/request/codec/server.ts): in a container it listens on 0.0.0.0, reachable by every service.
    const codecServers = names.filter((n) => commandOf(services[n]!)[0] === 'codec-server');
    expect(codecServers).toEqual(['cascade-codec-server']);
    for (const n of codecServers) {
      const args = commandOf(services[n]!);
      const host = args.includes('--host') ? args[args.indexOf('--host') + 1]! : '127.0.0.1';
      expect(isLoopbackHost(host), `${n} listens on ${host}`).toBe(false);
      expect(allEnvNames(services[n]!), `${n}: CASCADE_CODEC_SERVER_TOKEN`).toContain(
        'CASCADE_CODEC_SERVER_TOKEN',
      );
    }
    // The token lets its holder read every prompt: only the codec server has it.
    for (const n of names.filter((m) => !codecServers.includes(m))) {
      expect(allEnvNames(services[n]!), `${n} gets the codec server token`).not.toContain(
        'CASCADE_CODEC_SERVER_TOKEN',
      );
    }
  });

  it('keeps secrets out of the file: env files under deploy/secrets, git-ignored, examples empty', () => {
    const secretName = /(PASSWORD|_PWD|SECRET|API_KEY|_TOKENS?|CODEC_KEYS|WEBHOOK_URL|LEDGER_URL)$/;
    for (const n of names) {
      for (const [k, v] of Object.entries(envOf(services[n]!))) {
        if (secretName.test(k))
          expect(v, `${n}: ${k} is set in docker-compose.yml`).toMatch(/^(true|false)$/);
      }
      for (const f of envFiles(services[n]!)) {
        expect(f, n).toMatch(/^(\.\/)?deploy\/secrets\/[a-z-]+\.env$/);
        expect(exists(`${f}.example`), `${f}.example`).toBe(true);
        for (const line of read(`${f}.example`).split('\n')) {
          const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
          // A secret's example is empty, or a URL with a CHANGE_ME placeholder for its password.
          if (m && secretName.test(m[1]!)) expect(m[2], `${f}.example: ${m[1]}`).toMatch(/^$|CHANGE_ME/);
        }
      }
    }
    expect(read('deploy/.gitignore')).toMatch(/^secrets\/\*\.env$/m);
    expect(read('.dockerignore')).toMatch(/^(deploy|deploy\/secrets|\*\*\/\*\.env)$/m);
  });

  it('wires the config, the namespace and the ports consistently', () => {
    const { config } = loadConfig(configFile);
    for (const n of ['cascade-worker', 'cascade-gateway']) {
      const s = services[n]!;
      const at = envOf(s)['CASCADE_CONFIG']!;
      expect(volumeMounts(s), n).toContainEqual({ source: './deploy/cascade.config.yaml', target: at });
      expect(envOf(s)['TEMPORAL_NAMESPACE'], n).toBe(config.temporal.namespace);
      expect(envOf(s)['TEMPORAL_ADDRESS'], n).toBe('temporal:7233');
    }
    expect(envOf(services['cascade-setup']!)['TEMPORAL_NAMESPACE']).toBe(config.temporal.namespace);
    expect(envOf(services['temporal-create-namespace']!)['NAMESPACE']).toBe(config.temporal.namespace);
    expect(containerPorts(services['temporal']!)).toContain(7233);

    const worker = services['cascade-worker']!;
    const ports = containerPorts(worker);
    expect(ports).toContain(Number(envOf(worker)['CASCADE_METRICS_PORT']));
    expect(ports).toContain(Number(envOf(worker)['CASCADE_SDK_METRICS_PORT']));
    const gateway = services['cascade-gateway']!;
    const gwArgs = commandOf(gateway);
    expect(containerPorts(gateway)).toContain(Number(gwArgs[gwArgs.indexOf('--port') + 1]));
    expect(Number(envOf(gateway)['CASCADE_GATEWAY_PORT'])).toBe(Number(gwArgs[gwArgs.indexOf('--port') + 1]));

    // The UI's browser calls the codec server at its published address, from an origin it allows.
    const codec = services['cascade-codec-server']!;
    const codecArgs = commandOf(codec);
    const codecPort = codecArgs[codecArgs.indexOf('--port') + 1];
    const ui = envOf(services['temporal-ui']!);
    expect(ui['TEMPORAL_CODEC_ENDPOINT']).toBe(`http://localhost:${codecPort}`);
    expect(codec.ports).toContain(`127.0.0.1:${codecPort}:${codecPort}`);
    expect(codecArgs).toContain(`http://localhost:${ui['TEMPORAL_UI_PORT']}`);
    expect(containerPorts(services['temporal-ui']!)).toContain(Number(ui['TEMPORAL_UI_PORT']));
  });
});

describe('Prometheus and Grafana', () => {
  interface ScrapeConfig {
    job_name: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; port: number; type?: string }[];
  }
  const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };

  it('loads cascade-alerts.yml from where the Prometheus service mounts it', () => {
    const s = services['prometheus']!;
    const mount = volumeMounts(s).find((v) => v.source === './deploy/prometheus');
    expect(mount?.target).toBe('/etc/prometheus');
    expect(commandOf(s)).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(prom.rule_files).toContain('cascade-alerts.yml');
    for (const f of prom.rule_files) expect(exists(`deploy/prometheus/${f}`), f).toBe(true);
  });

  it('scrapes services and ports that exist: the workers (9464, 9465) and the gateway', () => {
    const targets: { job: string; host: string; port: number }[] = [];
    for (const c of prom.scrape_configs) {
      for (const sc of c.static_configs ?? []) {
        for (const t of sc.targets) {
          const [host, port] = t.split(':');
          targets.push({ job: c.job_name, host: host!, port: Number(port) });
        }
      }
      for (const d of c.dns_sd_configs ?? []) {
        for (const host of d.names) targets.push({ job: c.job_name, host, port: d.port });
      }
    }
    for (const t of targets) {
      expect(longRunning, `${t.job}: ${t.host} is not a long-running service`).toContain(t.host);
      expect(containerPorts(services[t.host]!), `${t.job}: ${t.host}:${t.port}`).toContain(t.port);
    }
    const has = (host: string, port: number) => targets.some((t) => t.host === host && t.port === port);
    expect(has('cascade-worker', 9464)).toBe(true);
    expect(has('cascade-worker', 9465)).toBe(true);
    // The gateway is scraped exactly when it serves a /metrics (a job without one would be a
    // target that is always down).
    const gatewayMetrics = fs
      .readdirSync(path.join(root, 'src/doors/gateway'))
      .some((f) => /['"`]\/metrics['"`]/.test(read(`src/doors/gateway/${f}`)));
    expect(targets.some((t) => t.host === 'cascade-gateway')).toBe(gatewayMetrics);
  });

  // A fresh registry with what a worker serves on 9464: createCascadeMetrics() makes its own,
  // and the worker registers the monitors' gauges on it.
  const metrics = createCascadeMetrics();
  registerMonitorGauges(metrics.registry, { latest: async () => null });
  const served = new Set<string>();
  for (const m of metrics.registry.getMetricsAsArray()) {
    served.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) served.add(m.name + s);
  }
  const used = (texts: string[]) => new Set(texts.flatMap((t) => t.match(/\bcascade_[a-z0-9_]+/g) ?? []));

  interface Panel {
    type: string;
    title: string;
    datasource?: { uid: string };
    targets?: { expr: string; datasource?: { uid: string } }[];
  }
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/cascade-router.json')) as {
    uid: string;
    panels: Panel[];
    templating: { list: { query: string | { query: string }; definition?: string }[] };
  };
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const dashboardExprs = [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dashboard.templating.list.map((v) => (typeof v.query === 'string' ? v.query : v.query.query)),
  ];

  it('queries only metrics the code registers, in the dashboard and in the alert rules', () => {
    const alerts = parse(read('deploy/prometheus/cascade-alerts.yml')) as {
      groups: { rules: { expr: string }[] }[];
    };
    const alertExprs = alerts.groups.flatMap((g) => g.rules.map((r) => r.expr));
    for (const [what, exprs] of [
      ['dashboard', dashboardExprs],
      ['alert rules', alertExprs],
    ] as const) {
      const names = used(exprs);
      expect(names.size, what).toBeGreaterThan(5);
      for (const n of names) expect(served, `${what}: ${n} is not registered by the code`).toContain(n);
    }
  });

  it("draws the report's charts", () => {
    const names = used(dashboardExprs);
    const charts: [string, string[]][] = [
      ['cost vs baseline over time', ['cascade_cost_usd_total', 'cascade_baseline_cost_usd_total']],
      [
        'escalation rate with the baseline band',
        ['cascade_monitor_escalation_rate', 'cascade_monitor_escalation_baseline_high'],
      ],
      ['quality delta', ['cascade_monitor_quality_delta']],
      ['retry amplification', ['cascade_monitor_retry_amplification']],
      ['feature PSI vs critical', ['cascade_monitor_feature_psi', 'cascade_monitor_feature_psi_critical']],
      ['outcome drift', ['cascade_monitor_outcome_drifted']],
      ['net savings by layer', ['cascade_monitor_usd']],
    ];
    for (const [chart, metricNames] of charts) {
      for (const m of metricNames) expect(names, `${chart}: ${m}`).toContain(m);
    }
    for (const p of panels) expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
  });

  it('provisions the datasource the dashboard uses and the folder it is mounted from', () => {
    const ds = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string }[];
    };
    const uids = ds.datasources.map((d) => d.uid);
    for (const p of panels) {
      expect(uids, p.title).toContain(p.datasource?.uid);
      for (const t of p.targets ?? [])
        expect(uids, p.title).toContain(t.datasource?.uid ?? p.datasource?.uid);
    }
    const url = new URL(ds.datasources[0]!.url);
    expect(names).toContain(url.hostname);
    expect(containerPorts(services[url.hostname]!)).toContain(Number(url.port));

    const providers = parse(read('deploy/grafana/provisioning/dashboards/cascade.yml')) as {
      providers: { options: { path: string } }[];
    };
    const grafana = volumeMounts(services['grafana']!);
    for (const p of providers.providers) {
      const mount = grafana.find((v) => v.target === p.options.path);
      expect(mount?.source, p.options.path).toBe('./deploy/grafana/dashboards');
    }
    expect(grafana).toContainEqual({
      source: './deploy/grafana/provisioning',
      target: '/etc/grafana/provisioning',
    });
  });
});

describe('the sample config and the Dockerfile', () => {
  it('deploy/cascade.config.yaml validates, on real providers with keys by name', () => {
    const { config } = loadConfig(configFile);
    const models = Object.values(config.models);
    expect(models.length).toBeGreaterThan(1);
    for (const m of models) {
      expect(m.apiKeyEnv, m.baseUrl).toBeTruthy();
      expect(new URL(m.baseUrl).protocol).toBe('https:');
      expect(new URL(m.baseUrl).hostname).not.toMatch(/^(localhost|127\.0\.0\.1)$/);
    }
    expect(Object.keys(config.tasks).length).toBeGreaterThan(1);
  });

  const dockerfile = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: { from: string; name?: string; lines: string[] }[] = [];
  for (const line of dockerfile) {
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ from: from[1]!, name: from[2], lines: [] });
    else stages.at(-1)?.lines.push(line);
  }

  it('is multi-stage on an exactly pinned node:20 bookworm-slim base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
    for (const s of stages) {
      if (stageNames.has(s.from)) continue;
      expect(s.from, 'base image').toMatch(/^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
    const build = stages[0]!.lines.join('\n');
    expect(build).toMatch(/npm ci\b/);
    expect(build).toMatch(/npm run build/);
    expect(build).toMatch(/npm prune --omit=dev/);
    expect(build).toMatch(/\bg\+\+/); // better-sqlite3 may compile
  });

  it('runs as a non-root user, with `cascade worker` by default', () => {
    const final = stages.at(-1)!;
    const users = final.lines.filter((l) => /^USER\s/i.test(l));
    expect(users.length, 'the final stage sets USER').toBeGreaterThan(0);
    const user = users.at(-1)!.split(/\s+/)[1]!.split(':')[0]!;
    expect(user).not.toMatch(/^(root|0)$/);
    expect(final.lines).toContain('ENTRYPOINT ["node", "bin/cascade.js"]');
    expect(final.lines).toContain('CMD ["worker"]');
    // The worker's --workflow-bundle is made in the image.
    const args = commandOf(services['cascade-worker']!);
    const bundle = args[args.indexOf('--workflow-bundle') + 1]!;
    expect(stages[0]!.lines.join('\n')).toContain(bundle);
    expect(final.lines.join('\n')).toMatch(/COPY --from=build \/app\/dist/);
  });
});
