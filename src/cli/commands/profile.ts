/**
 * `cascade profile FILE.jsonl --models a,b,c [--out DIR] [--concurrency N] [--profile-id ID]`:
 * every request of a traffic sample through every candidate model, each pair a static
 * `cascadeWorkflow` (id `profile-<profileId>-<requestId>-<model>`), results appended to
 * `DIR/profile.jsonl` as they finish. Run it again after an interruption (Ctrl-C, a kill, a
 * reboot): finished pairs are skipped, started ones are collected from their workflows; nothing
 * finished is paid twice. `cascade advise --profile DIR` reads the result.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { CascadeClient } from '../../doors/client/cascade-client';
import { readEnv } from '../../env';
import { endpointName, PROFILE_ID, resolveModelId } from '../../tools/profile/policy';
import { runProfile, type ProfileRunResult } from '../../tools/profile/run';
import { readSample, SampleError } from '../../tools/profile/sample';
import { readMeta, readProfile, writeMeta, type ProfileMeta } from '../../tools/profile/store';
import { formatProfileTables, summarizeProfile } from '../../tools/profile/summary';
import { cliDataConverter, connectForCli } from '../connect';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';
import type { LoadedConfig } from '../../request/config-file/load';

export const EXIT_INTERRUPTED = 130;

interface Out {
  write(s: string): unknown;
}

export interface ProfileCommandOptions {
  file: string;
  /** Model ids or endpoint model names of the config. */
  models: string[];
  config: LoadedConfig;
  cascade: CascadeClient | (() => Promise<CascadeClient>);
  out?: string;
  profileId?: string;
  concurrency: number;
  task?: string;
  json?: boolean;
  progress?: boolean;
  stdout?: Out;
  stderr?: Out & { isTTY?: boolean };
  signal?: AbortSignal;
  /** For tests: now. */
  now?: () => Date;
}

export async function profileCommand(opts: ProfileCommandOptions): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const { config } = opts;
  if (opts.models.length === 0) throw new CliError('--models needs at least one model', EXIT.usage);
  const models = opts.models.map((name) => {
    const id = resolveModelId(config, name);
    if (!id) {
      throw new CliError(
        `--models: unknown model "${name}"; the config's models are ${Object.keys(config.config.models).join(', ')}`,
        EXIT.usage,
      );
    }
    return id;
  });
  if (new Set(models).size !== models.length) throw new CliError('--models names a model twice', EXIT.usage);

  let sample;
  try {
    sample = await readSample(opts.file, { task: opts.task, defaultTask: config.config.defaultTask });
  } catch (err) {
    if (err instanceof SampleError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
  if (sample.rows.length === 0) {
    throw new CliError(
      `${opts.file} has no valid requests${sample.invalid.length ? ` (${sample.invalid.length} invalid)` : ''}`,
      EXIT.usage,
    );
  }

  if (opts.profileId !== undefined && !PROFILE_ID.test(opts.profileId)) {
    throw new CliError('--profile-id must be 1-64 characters of letters, digits, . _ -', EXIT.usage);
  }
  const defaultId = () => {
    const text = fs.readFileSync(opts.file);
    const h = createHash('sha256')
      .update(text)
      .update('\0')
      .update(models.join(','))
      .digest('hex')
      .slice(0, 10);
    const base = path
      .basename(opts.file)
      .replace(/\.jsonl?$/, '')
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 40);
    return `${base}-${h}`;
  };
  let dir = opts.out;
  const existingMeta = dir ? readMeta(dir) : null;
  if (existingMeta && opts.profileId !== undefined && existingMeta.profileId !== opts.profileId) {
    throw new CliError(
      `${dir} holds profile "${existingMeta.profileId}", not "${opts.profileId}": give another --out, or --profile-id ${existingMeta.profileId} to resume it`,
      EXIT.usage,
    );
  }
  const profileId = opts.profileId ?? existingMeta?.profileId ?? defaultId();
  dir ??= path.join('.cascade', 'profiles', profileId);
  const meta0 = existingMeta ?? readMeta(dir);
  const modelInfo = (id: string) => ({
    id,
    name: endpointName(config, id),
    pricing: { ...config.config.models[id]!.pricing },
  });
  const allModels = [...new Set([...(meta0?.models.map((m) => m.id) ?? []), ...models])];
  const priceSum = (id: string) =>
    config.config.models[id]
      ? config.config.models[id]!.pricing.inputPerMTok + config.config.models[id]!.pricing.outputPerMTok
      : 0;
  const meta: ProfileMeta = {
    kind: 'cascade-profile',
    format: 1,
    profileId,
    sample: { file: path.resolve(opts.file), rows: sample.rows.length },
    models: allModels.map(
      (id) => meta0?.models.find((m) => m.id === id && !config.config.models[id]) ?? modelInfo(id),
    ),
    strongest: [...models].sort((a, b) => priceSum(b) - priceSum(a))[0]!,
    configVersion: config.version,
    costPerAction: config.config.temporal.costPerAction,
    createdAt: meta0?.createdAt ?? (opts.now?.() ?? new Date()).toISOString(),
  };
  writeMeta(dir, meta);

  const owned = typeof opts.cascade === 'function';
  const cascade = typeof opts.cascade === 'function' ? await opts.cascade() : opts.cascade;
  const total = sample.rows.length * models.length;
  const showBar = opts.progress !== false && !opts.json && stderr.isTTY === true;
  const bar = showBar
    ? new SingleBar({
        stream: stderr as NodeJS.WritableStream,
        format:
          'cascade profile [{bar}] {value}/{total} pairs | {reattached} resumed | {failed} failed | ETA {eta_formatted}',
        barCompleteChar: '#',
        barIncompleteChar: '-',
        hideCursor: true,
        fps: 5,
      })
    : undefined;
  const counts = { reattached: 0, failed: 0 };
  let lastTenth = -1;
  let result: ProfileRunResult;
  stderr.write(
    `cascade profile: ${profileId}: ${sample.rows.length} requests x ${models.length} models -> ${path.join(dir, 'profile.jsonl')}\n`,
  );
  try {
    let started = false;
    result = await runProfile({
      cascade,
      rows: sample.rows,
      models,
      profileId,
      dir,
      concurrency: opts.concurrency,
      signal: opts.signal,
      onProgress: (p) => {
        if (p.record?.reattached) counts.reattached++;
        if (p.error || p.record?.status === 'failed') counts.failed++;
        if (bar) {
          if (!started) bar.start(p.total, p.done - 1, counts);
          started = true;
          bar.update(p.done, counts);
        } else if (!opts.json) {
          const tenth = Math.floor((p.done / p.total) * 10);
          if (tenth !== lastTenth) {
            lastTenth = tenth;
            stderr.write(
              `cascade profile: ${p.done}/${p.total} pairs (${counts.reattached} resumed, ${counts.failed} failed)\n`,
            );
          }
        }
      },
    });
  } finally {
    bar?.stop();
    if (owned) await cascade.close().catch(() => undefined);
  }

  const records = readProfile(dir).records.filter((r) => r.profileId === profileId);
  const tasks = summarizeProfile(records, meta);
  if (opts.json) {
    stdout.write(
      JSON.stringify({
        profileId,
        dir,
        file: opts.file,
        models,
        total,
        run: result,
        invalid: sample.invalid,
        tasks,
      }) + '\n',
    );
  } else {
    const lines = [
      `profile ${profileId}: ${sample.rows.length} requests x ${models.length} models = ${total} pairs; ` +
        `${result.skipped} already in ${path.join(dir, 'profile.jsonl')}, ${result.finished} finished now` +
        (result.reattached ? ` (${result.reattached} collected from workflows an earlier run started)` : '') +
        (result.errors.length ? `, ${result.errors.length} errors` : ''),
      '',
      formatProfileTables(tasks),
    ];
    if (tasks.some((t) => t.labelSources.includes('recorded-label'))) {
      lines.push(
        "accuracy: the sample rows' recorded per-model `correct` labels (the served answer is the recorded one), used as the reference.",
      );
    }
    if (sample.invalid.length) {
      lines.push(
        `invalid rows (${sample.invalid.length}, not run):`,
        ...sample.invalid.slice(0, 20).map((i) => `  line ${i.line}: ${i.error}`),
      );
    }
    if (result.errors.length) {
      lines.push(
        `errors (${result.errors.length}):`,
        ...result.errors.slice(0, 20).map((e) => `  line ${e.line} ${e.requestId} ${e.model}: ${e.error}`),
      );
    }
    if (result.interrupted) {
      lines.push(
        `interrupted: ${result.pending} started and still running, ${result.notStarted} not started; run the same command again to resume (nothing finished is paid twice).`,
      );
    }
    lines.push(`next: cascade advise --profile ${dir} --monthly-tokens N`);
    stdout.write(lines.join('\n') + '\n');
  }
  if (result.interrupted) return EXIT_INTERRUPTED;
  return result.errors.length > 0 || sample.invalid.length > 0 ? EXIT.failure : EXIT.ok;
}

interface ProfileCliOptions {
  models: string;
  out?: string;
  concurrency: string;
  profileId?: string;
  task?: string;
  json?: boolean;
  config?: string;
  address?: string;
  namespace?: string;
  taskQueue?: string;
  progress: boolean;
}

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description(
      'Run a traffic sample through every candidate model (static, as workflows) and record cost, latency and quality',
    )
    .argument('<file.jsonl>', 'the sample: one request per line (rows of ../shared/data accepted)')
    .requiredOption('--models <a,b,c>', 'candidate models (config model ids or endpoint model names)')
    .option('--out <dir>', 'where profile.jsonl goes (default .cascade/profiles/<profile-id>)')
    .option('--concurrency <n>', 'pairs in flight at once', '8')
    .option(
      '--profile-id <id>',
      'names the workflows (profile-<id>-<request>-<model>); default: from the file and models',
    )
    .option('--task <task>', 'task for rows that name none')
    .option('--json', 'print one JSON document on stdout')
    .option('-c, --config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'namespace (default: the config temporal.namespace)')
    .option('--task-queue <name>', 'workflow task queue (default: cascade)')
    .addOption(new Option('--no-progress', 'no progress bar'))
    .addHelpText(
      'after',
      `
Resumable: run the same command again after an interruption. Pairs already in profile.jsonl are
skipped; pairs whose workflow had started are collected from it (running or finished), never
started again, so no finished model call is paid twice.

Exit codes: 0 every pair answered; 1 any invalid row or failed pair; 2 usage; 3 invalid config;
4 Temporal unreachable; 130 interrupted.
`,
    )
    .action(async (file: string, opts: ProfileCliOptions) => {
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
        throw new CliError(
          `--concurrency must be an integer from 1 to 1000, got ${JSON.stringify(opts.concurrency)}`,
          EXIT.usage,
        );
      }
      const config = loadConfigForCli(opts.config);
      const address = opts.address ?? readEnv().temporalAddress;
      const namespace = opts.namespace ?? config.config.temporal.namespace;
      const connect = async () => {
        const connection = await connectForCli(address);
        return new CascadeClient({
          client: new Client({ connection, namespace, dataConverter: cliDataConverter() }),
          config,
          ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
        });
      };
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        process.exitCode = await profileCommand({
          file,
          models: opts.models
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean),
          config,
          cascade: connect,
          out: opts.out,
          profileId: opts.profileId,
          concurrency,
          task: opts.task,
          json: opts.json,
          progress: opts.progress,
          signal: controller.signal,
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
