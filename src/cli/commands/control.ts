/**
 * `cascade control`: the run-time control plane (docs/architecture.md, "Operational control and
 * shadow mode"). A kill switch, rollout or model override set here reaches every process that
 * starts requests within about a second (they read the `cascade-control` workflow's memo), with
 * no config edit and no redeploy, until it is cleared.
 */
import os from 'node:os';
import { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { LoadedConfig } from '../../request/config-file/load';
import { ControlPlane, DEFAULT_CONTROL_INTERVAL_MS, sendControlChange } from '../../temporal/control-plane';
import { readEnv } from '../../env';
import type { ControlChange, TaskControl } from '../../request/router/control';
import { cliDataConverter, connectForCli } from '../connect';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';

interface ControlCliOptions {
  config?: string;
  address?: string;
  namespace?: string;
  taskQueue?: string;
  json?: boolean;
  killSwitch?: string;
  rollout?: string;
  overrideModel?: string;
  clearOverride?: boolean;
}

/** The change `cascade control set|clear` asks for, checked against the config (usage errors). */
export function changeFromOptions(
  action: 'set' | 'clear',
  task: string,
  opts: ControlCliOptions,
  loaded: LoadedConfig,
): ControlChange {
  const { config } = loaded;
  if (!Object.hasOwn(config.tasks, task)) {
    throw new CliError(
      `unknown task "${task}"; configured tasks: ${Object.keys(config.tasks).join(', ')}`,
      EXIT.usage,
    );
  }
  const base = { task, at: Date.now(), by: `${os.userInfo().username}@${os.hostname()}` };
  if (action === 'clear') return { ...base, clear: true };
  const set: TaskControl = {};
  if (opts.killSwitch !== undefined) {
    if (!['on', 'off'].includes(opts.killSwitch))
      throw new CliError(`--kill-switch takes on or off, got "${opts.killSwitch}"`, EXIT.usage);
    set.killSwitch = opts.killSwitch === 'on';
  }
  if (opts.rollout !== undefined) {
    const n = Number(opts.rollout);
    if (!/^\d+(\.\d+)?$/.test(opts.rollout) || n > 100)
      throw new CliError(`--rollout takes a percentage from 0 to 100, got "${opts.rollout}"`, EXIT.usage);
    set.rollout = n;
  }
  if (opts.overrideModel !== undefined && opts.clearOverride)
    throw new CliError('give --override-model or --clear-override, not both', EXIT.usage);
  if (opts.overrideModel !== undefined) {
    if (!Object.hasOwn(config.models, opts.overrideModel)) {
      throw new CliError(
        `unknown model "${opts.overrideModel}"; the config defines ${Object.keys(config.models).join(', ')}`,
        EXIT.usage,
      );
    }
    set.overrideModel = opts.overrideModel;
  }
  if (opts.clearOverride) set.overrideModel = null;
  if (Object.keys(set).length === 0) {
    throw new CliError(
      'nothing to set: give --kill-switch on|off, --rollout N or --override-model ID (or --clear-override)',
      EXIT.usage,
    );
  }
  return { ...base, set };
}

export function registerControl(program: Command): void {
  const control = program
    .command('control')
    .description(
      'Run-time control of every process that starts requests: kill switch, rollout, model override per task',
    );
  const common = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
      .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
      .option('--namespace <name>', 'namespace (default: the config temporal.namespace)')
      .option('--task-queue <name>', 'the workflow task queue its workflow runs on (default: cascade)')
      .option('--json', 'print one JSON document');

  const run = async (action: 'set' | 'clear' | 'show', task: string | undefined, opts: ControlCliOptions) => {
    const loaded = loadConfigForCli(opts.config);
    const change = action === 'show' ? null : changeFromOptions(action, task!, opts, loaded);
    const address = opts.address ?? readEnv().temporalAddress;
    const connection = await connectForCli(address);
    try {
      const client = new Client({
        connection,
        namespace: opts.namespace ?? loaded.config.temporal.namespace,
        dataConverter: cliDataConverter(),
      });
      if (change) await sendControlChange(client, change, { taskQueue: opts.taskQueue });
      const plane = new ControlPlane(client);
      // A change is in the memo once the control workflow has run its task: read until it shows.
      for (let i = 0; i < 50; i++) {
        await plane.refresh();
        if (!change) break;
        const t = plane.current().tasks[change.task];
        if (change.clear ? t === undefined : t?.setAt === change.at) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (plane.lastError)
        throw new CliError(`cannot read the control plane: ${plane.lastError.message}`, EXIT.failure);
      const state = plane.current();
      if (opts.json) process.stdout.write(JSON.stringify(state) + '\n');
      else {
        const rows = Object.entries(state.tasks);
        process.stdout.write(
          rows.length === 0
            ? 'no run-time overrides: every task is served as its config file says\n'
            : rows
                .map(
                  ([id, t]) =>
                    `${id}: ${[
                      t.killSwitch !== undefined ? `kill switch ${t.killSwitch ? 'on' : 'off'}` : null,
                      t.rollout !== undefined ? `rollout ${t.rollout}%` : null,
                      t.overrideModel !== undefined ? `override ${t.overrideModel ?? '(cleared)'}` : null,
                    ]
                      .filter(Boolean)
                      .join(', ')} (set ${new Date(t.setAt).toISOString()}${t.by ? ` by ${t.by}` : ''})`,
                )
                .join('\n') +
                `\ncontrol version ${state.version}; processes that start requests apply it within about ${DEFAULT_CONTROL_INTERVAL_MS / 1000} s\n`,
        );
      }
    } finally {
      await connection.close();
    }
  };

  common(control.command('show').description('print the overrides in force')).action(
    (opts: ControlCliOptions) => run('show', undefined, opts),
  );
  common(
    control
      .command('set')
      .description('set a task override (it wins over the config file until cleared)')
      .argument('<task>', 'a task id of the config')
      .option('--kill-switch <on|off>', 'serve every new request with the baseline alone')
      .option('--rollout <percent>', 'serve this share of request ids by the route, the rest by the baseline')
      .option('--override-model <id>', 'serve every new request with this model alone')
      .option('--clear-override', "drop a model override (the config file's included)"),
  ).action((task: string, opts: ControlCliOptions) => run('set', task, opts));
  common(
    control
      .command('clear')
      .description("drop a task's overrides: it is served as its config file says again")
      .argument('<task>', 'a task id of the config'),
  ).action((task: string, opts: ControlCliOptions) => run('clear', task, opts));
}
