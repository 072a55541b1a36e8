/**
 * bench/dispatch: the cost of a latency-budget dispatch decision with a warm snapshot, i.e. what
 * the workflow computes after the endpoint-snapshot local activity has returned its readings:
 *
 *   decide   decideDispatch alone (score every candidate, order them)
 *   full     candidatesFromSnapshot + decideDispatch + dispatchRecord: join the policy's models
 *            with the readings, decide, and build the trace record (what src/temporal/workflows/dispatch.ts runs)
 *
 * for 2, 3 and 5 candidates, with a queue on the cheapest so the decision has to skip it. Pure
 * CPU, no I/O: figures in ns per decision (median of rounds, p95) and decisions per second.
 * Reading the signals themselves is I/O and is recorded per request in `trace.dispatch.readMs`.
 * It prints figures; it never passes or fails on time.
 *
 *   npm run bench:dispatch -- [--rounds N] [--iterations N] [--json]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  candidatesFromSnapshot,
  decideDispatch,
  dispatchRecord,
  type CandidateModel,
  type DispatchInput,
  type EndpointSnapshot,
} from '../src/request/router/dispatch';
import { summarize, type Summary } from './lib/stats';
import { fmt, formatTable } from './lib/table';

const USAGE = `usage: npm run bench:dispatch -- [options]

  --rounds N       timed rounds per cell; default 30
  --iterations N   decisions per round; default 20000
  --json           print one JSON document on stdout instead of the table
  -h, --help`;

interface Cell {
  what: 'decide' | 'full';
  candidates: number;
  nsPerOp: Summary;
  opsPerSecond: number;
}

/** A ladder of n models, cheapest first, with a burst queued on the cheapest (its wait breaks the budget). */
function fixture(n: number): { models: CandidateModel[]; snapshot: EndpointSnapshot; budgetMs: number } {
  const models: CandidateModel[] = Array.from({ length: n }, (_, i) => ({
    model: `model-${i}`,
    pricing: { inputPerMTok: 0.2 * 4 ** i, outputPerMTok: 0.6 * 4 ** i },
    concurrency: i === 0 ? 1 : 8,
    expectedLatencyMs: 400 + 300 * i,
  }));
  const snapshot: EndpointSnapshot = {
    readAt: new Date(0).toISOString(),
    readMs: 5,
    models: models.map((m, i) => ({
      model: m.model,
      temporalBacklog: i === 0 ? 9 : 0,
      workerInFlight: i === 0 ? 1 : 2,
      endpointQueue: i === 0 ? 0 : 1,
      observedServiceMs: i === 0 ? 460 : null,
      observedSamples: i === 0 ? 20 : 0,
      observedTokensOut: i === 0 ? 1 : null,
    })),
  };
  return { models, snapshot, budgetMs: 1_500 };
}

function measure(op: () => unknown, rounds: number, iterations: number): Summary {
  for (let i = 0; i < iterations; i++) op(); // warm-up: JIT and inline caches
  const ns: number[] = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink ^= op() === undefined ? 1 : 0;
    ns.push(Number(process.hrtime.bigint() - t0) / iterations);
  }
  if (sink === -1) process.stdout.write(''); // keep the results alive
  return summarize(ns);
}

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        rounds: { type: 'string', default: '30' },
        iterations: { type: 'string', default: '20000' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const rounds = Number(values.rounds);
  const iterations = Number(values.iterations);
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(iterations) || iterations < 1) {
    process.stderr.write(`--rounds and --iterations must be positive integers\n\n${USAGE}\n`);
    return 2;
  }

  const cells: Cell[] = [];
  for (const n of [2, 3, 5]) {
    const { models, snapshot, budgetMs } = fixture(n);
    const warmInput: DispatchInput = {
      budgetMs,
      tokensIn: 130,
      candidates: candidatesFromSnapshot(models, snapshot),
    };
    // Sanity: the queue on the cheapest model moves the decision off it.
    const check = decideDispatch(warmInput);
    if (check.chosen === check.cheapest) throw new Error('fixture: the budget should skip the queued model');
    const ops = {
      decide: () => decideDispatch(warmInput),
      full: () => {
        const input: DispatchInput = {
          budgetMs,
          tokensIn: 130,
          candidates: candidatesFromSnapshot(models, snapshot),
        };
        return dispatchRecord(input, decideDispatch(input), snapshot);
      },
    };
    for (const what of ['decide', 'full'] as const) {
      const nsPerOp = measure(ops[what], rounds, iterations);
      cells.push({ what, candidates: n, nsPerOp, opsPerSecond: 1e9 / nsPerOp.p50 });
    }
  }

  const machine = {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    loadAverage1m: os.loadavg()[0],
  };
  if (values.json) {
    process.stdout.write(
      JSON.stringify({ bench: 'dispatch', rounds, iterations, machine, cells }, null, 2) + '\n',
    );
    return 0;
  }
  process.stdout.write(
    `latency-budget dispatch decision, warm snapshot (${rounds} rounds x ${iterations} decisions; ` +
      `${machine.node}, ${machine.cpu}, load ${fmt(machine.loadAverage1m, 2)})\n\n`,
  );
  process.stdout.write(
    formatTable(
      ['what', 'candidates', 'ns/op p50', 'ns/op p95', 'ns/op min', 'ops/s (p50)'],
      cells.map((c) => [
        c.what,
        String(c.candidates),
        fmt(c.nsPerOp.p50, 0),
        fmt(c.nsPerOp.p95, 0),
        fmt(c.nsPerOp.min, 0),
        Math.round(c.opsPerSecond).toLocaleString('en-US'),
      ]),
      1,
    ) + '\n',
  );
  return 0;
}

process.exitCode = main();
