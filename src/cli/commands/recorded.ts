/**
 * `cascade recorded`: run the recorded-model server (src/tools/recorded-models) in the foreground, for demos,
 * benchmarks and pointing any OpenAI client at recorded outputs of real models. `--data` takes JSONL
 * files or folders of them, e.g. ../shared/data/routellm/mt_bench for MT-Bench answers and GPT-4's
 * recorded judgements (the `judge` confidence source).
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { type Command } from 'commander';
import { readEnv } from '../../env';
import { DatasetError } from '../../tools/recorded-models/dataset';
import { parseFaultKinds, type FaultKind } from '../../tools/recorded-models/faults';
import { startRecordedServer, type RecordedServer } from '../../tools/recorded-models/server';
import { CliError, EXIT } from '../errors';
import { untilSignal } from '../until-signal';

interface RecordedCliOptions {
  data: string[];
  port?: string;
  host: string;
  latencyScale: string;
  concurrency: string;
  faultRate: string;
  faultKinds?: string;
  seed: string;
  retryAfter: string;
  alias: string[];
}

export function registerRecorded(program: Command): void {
  program
    .command('recorded')
    .description(
      'serve recorded outputs of real models over an OpenAI-compatible API (no paid model is called)',
    )
    .requiredOption(
      '--data <paths...>',
      'JSONL files of the ../shared/data shape, or folders of them (their *.jsonl files), e.g. an ' +
        'MT-Bench folder (question.jsonl + judgements.jsonl: answers, and judge replies as model gpt-4)',
    )
    .option('--port <n>', 'TCP port (default: CASCADE_RECORDED_PORT or 8788; 0 = any free port)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--latency-scale <x>', 'multiply recorded latencies (0 = answer at once)', '1')
    .option('--concurrency <n>', 'concurrent requests per model before requests queue', '4')
    .option('--fault-rate <p>', 'share of requests (0..1) that fail with an injected fault', '0')
    .option(
      '--fault-kinds <list>',
      'kinds drawn by --fault-rate: 429,500,timeout,reset,malformed,empty (default 429,500)',
    )
    .option('--seed <n>', 'seed of the fault generator (same seed, same failing requests)', '1')
    .option('--retry-after <seconds>', 'Retry-After of an injected 429', '1')
    .option('--alias <name=real>', 'serve a recorded model under another name (repeatable)', collect, [])
    .action(async (opts: RecordedCliOptions) => {
      const server = await start(opts);
      const ds = server.dataset;
      process.stdout.write(
        `recorded-model server on ${server.baseUrl} serving ${ds.models().length} models, ` +
          `${ds.promptCount} prompts (${opts.data.join(', ')})\n`,
      );
      await untilSignal();
      await server.close();
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function start(opts: RecordedCliOptions): Promise<RecordedServer> {
  for (const file of opts.data) await checkReadablePath(file);
  const options = {
    dataFiles: opts.data,
    host: opts.host,
    port: opts.port === undefined ? readEnv().recordedPort : integer('--port', opts.port, 0, 65535),
    latencyScale: number('--latency-scale', opts.latencyScale, 0, Infinity),
    concurrency: integer('--concurrency', opts.concurrency, 1, 1_000_000),
    faultRate: number('--fault-rate', opts.faultRate, 0, 1),
    faultKinds: opts.faultKinds === undefined ? undefined : faultKinds(opts.faultKinds),
    seed: integer('--seed', opts.seed, -(2 ** 31), 2 ** 32),
    retryAfterSeconds: integer('--retry-after', opts.retryAfter, 0, 86_400),
    aliases: aliases(opts.alias),
  };
  try {
    return await startRecordedServer(options);
  } catch (err) {
    if (err instanceof DatasetError) throw new CliError(`bad data file: ${err.message}`, EXIT.usage);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new CliError(
        `port ${options.port} is already in use; pass --port or set CASCADE_RECORDED_PORT`,
        EXIT.usage,
      );
    }
    if (e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
      throw new CliError(`cannot listen on ${options.host}:${options.port}: ${e.message}`, EXIT.usage);
    }
    // Option checks of the server itself (an alias to an unknown model, ...) are usage errors too.
    if (err instanceof Error && !e.code) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

async function checkReadablePath(file: string): Promise<void> {
  try {
    await access(file, fsConstants.R_OK);
    const info = await stat(file);
    if (!info.isFile() && !info.isDirectory()) throw new Error('not a regular file or folder');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new CliError(`cannot read data file ${file}: ${reason}`, EXIT.usage);
  }
}

function number(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new CliError(
      `${flag} must be a number in [${min}, ${max}], got ${JSON.stringify(raw)}`,
      EXIT.usage,
    );
  }
  return n;
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const n = number(flag, raw, min, max);
  if (!Number.isInteger(n))
    throw new CliError(`${flag} must be a whole number, got ${JSON.stringify(raw)}`, EXIT.usage);
  return n;
}

function faultKinds(raw: string): FaultKind[] {
  try {
    return parseFaultKinds(raw);
  } catch (err) {
    throw new CliError(`--fault-kinds: ${(err as Error).message}`, EXIT.usage);
  }
}

function aliases(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0 || at === pair.length - 1) {
      throw new CliError(`--alias must look like name=realModel, got ${JSON.stringify(pair)}`, EXIT.usage);
    }
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}
