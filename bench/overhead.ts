/**
 * bench/overhead: what running a request as a cascade workflow adds over calling the model
 * directly, measured side by side in one run (issue 3, item 7). It prints figures; it never
 * passes or fails on time.
 *
 *   direct           the production provider client (OpenAICompatibleProvider) -> recorded-model server
 *   lean-static      CascadeClient (eager, on the workers' connection) -> cascadeWorkflow, `static`
 *                    route, lean execution: the call a local activity in the first workflow task
 *   lean-cascade     the same, 2-rung `cascade` with threshold 0, so the first rung always stands:
 *                    classify + call + check, and never an escalation
 *   lean-remote      lean-cascade started by a client on its own connection (no eager start)
 *   durable-static   `static`, durable execution: the call an activity on the model's queue
 *   durable-cascade  the 2-rung cascade, durable
 *
 * Same prompts (generated rows shipped in data/synthetic by default), same endpoint, same concurrency;
 * a Temporal dev server and real workers started here, on loopback, and stopped at the end (on
 * error and Ctrl-C too). With --temporal-address the same cells run on that server too (the
 * `external` profile: the real server of `npm run stack:real -- --server-only`), which the bench
 * leaves running. Run: `npm run bench:overhead -- --help`.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectBenchTemporal,
  startBenchStack,
  startBenchTemporal,
  stderrLog,
  type BenchTemporal,
} from './lib/stack';
import { fmt } from './lib/table';
import { fillAdded, isFloorMode, load1, loadPrompts, runCell, TASKS, type Cell } from './overhead/cell';
import { startFloorWorker, type FloorWorker } from './overhead/floor';
import {
  EXTERNAL_PROFILE,
  parseOptions,
  REPO_ROOT,
  SERVER_PROFILES,
  USAGE,
  type Options,
} from './overhead/options';
import { formatReport, machine } from './overhead/report';
import { parseOrExit } from './lib/args';

async function main(): Promise<number> {
  const parsed = parseOrExit(parseOptions, USAGE);
  if (typeof parsed === 'number') return parsed;
  const opts: Options = parsed;
  const rows = loadPrompts(opts);
  const log = stderrLog;
  let stopping = false;
  let temporal: BenchTemporal | undefined;
  const onSignal = () => {
    if (stopping) {
      // Second Ctrl-C: do not wait for requests in flight, but do not leave the dev server behind.
      log('quitting now: stopping the dev server');
      void Promise.race([temporal?.close(), sleep(5000)]).finally(() => process.exit(130));
      return;
    }
    stopping = true;
    log('stopping after the requests in flight, then shutting down (Ctrl-C again to quit sooner)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = new Date();
  const loadAtStart = load1();
  const cells: Cell[] = [];
  const runIds: string[] = [];
  const cliDescriptions = new Set<string>();
  let costPerAction = NaN;
  for (const serverProfile of opts.serverProfiles) {
    if (stopping) break;
    // One dev server per profile, stopped before the next starts (finally: on error and Ctrl-C too).
    temporal = undefined;
    try {
      temporal =
        serverProfile === EXTERNAL_PROFILE && opts.external
          ? await connectBenchTemporal({
              ...opts.external,
              serverPid: opts.external.pid,
              log,
            })
          : await startBenchTemporal({ log, dynamicConfig: SERVER_PROFILES[serverProfile] });
      cliDescriptions.add(temporal.cliDescription);
      for (const latencyScale of opts.latencyScales) {
        if (stopping) break;
        const stack = await startBenchStack({
          temporal,
          dataFiles: [opts.data],
          models: { [opts.model]: {}, [opts.escalateTo]: {} },
          tasks: Object.fromEntries(
            (['lean', 'durable'] as const).flatMap((execution) => [
              [TASKS[`${execution}-static`], { route: 'static', execution, rungs: [{ model: opts.model }] }],
              [
                TASKS[`${execution}-cascade`],
                {
                  route: 'cascade',
                  execution,
                  rungs: [
                    { model: opts.model, confidence: 'answer_logprob', threshold: 0 },
                    { model: opts.escalateTo },
                  ],
                },
              ],
            ]),
          ),
          // Enough slots that the recorded server is never the bottleneck.
          recorded: { latencyScale, concurrency: 64 },
          log,
        });
        runIds.push(stack.runId);
        costPerAction = stack.config.config.temporal.costPerAction;
        let floor: FloorWorker | undefined;
        try {
          if (opts.modes.some(isFloorMode)) {
            floor = await startFloorWorker({
              connection: stack.workerConnection,
              namespace: temporal.namespace,
              taskQueue: `${stack.taskQueue}-floor`,
              provider: stack.provider(opts.model),
            });
          }
          for (const concurrency of opts.concurrency) {
            for (const mode of opts.modes) {
              if (stopping) break;
              log(
                `${serverProfile} x${latencyScale} c=${concurrency} ${mode}: ` +
                  `${opts.warmup} warm-up + ${opts.requests} requests`,
              );
              const cell = await runCell(
                { stack, temporal, floor, rows, opts, stop: () => stopping },
                { serverProfile, latencyScale, concurrency, mode },
              );
              cells.push(cell);
              log(
                `  p50 ${fmt(cell.latencyMs.p50)} ms, p99 ${fmt(cell.latencyMs.p99)} ms, ` +
                  `${fmt(cell.requestsPerSecond)} req/s, errors ${cell.errors}, escalated ${cell.escalated}`,
              );
            }
          }
        } finally {
          await floor?.close();
          await stack.close();
        }
      }
    } finally {
      await temporal?.close();
    }
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  fillAdded(cells);
  const m = { ...machine(), loadAverage1m: { atStart: loadAtStart, atEnd: load1() } };
  const finished = new Date();
  const data = path.relative(REPO_ROOT, opts.data);
  if (opts.json) {
    const doc = {
      bench: 'overhead',
      runIds,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      complete: !stopping,
      machine: m,
      temporalCli: [...cliDescriptions].join('; '),
      serverProfiles: Object.fromEntries(
        opts.serverProfiles.map((p) => [p, SERVER_PROFILES[p] ?? `external ${opts.external?.address}`]),
      ),
      options: { ...opts, data, rows: rows.length },
      costPerActionUsd: costPerAction,
      cells,
    };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    const groups = opts.serverProfiles.flatMap((serverProfile) =>
      opts.latencyScales.map((latencyScale) => ({
        serverProfile,
        latencyScale,
        describe:
          serverProfile === EXTERNAL_PROFILE
            ? `the server at ${opts.external?.address}, namespace ${opts.external?.namespace}`
            : SERVER_PROFILES[serverProfile]!.join(' ') || 'dev-server defaults',
      })),
    );
    const seconds = ((finished.getTime() - started.getTime()) / 1000).toFixed(0);
    process.stdout.write(
      formatReport(cells, groups, [
        `bench/overhead ${started.toISOString()} (${seconds} s)${stopping ? ' (stopped early)' : ''}`,
        `machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}; ` +
          `load average (1 min) ${m.loadAverage1m.atStart} at start, ${m.loadAverage1m.atEnd} at end`,
        `temporal: ${[...cliDescriptions].join('; ')}; a dev server (in-memory) per dev-server profile, ` +
          `workers in this process`,
        `model ${opts.model} on the recorded-model server (64 slots); ${opts.requests} requests per cell ` +
          `after ${opts.warmup} warm-up; prompts: ${rows.length} rows of ${data}; costPerAction ${costPerAction} USD`,
      ]),
    );
  }
  return stopping ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `bench/overhead failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
