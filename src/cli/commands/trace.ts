import type { Command } from 'commander';
import { connectCascadeForCli } from '../connect';
import { readEnv } from '../../env';
import type { Trace } from '../../request/router/trace';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';
import { nonEmptyArg, requestIdArg } from '../args';

/** `cascade trace ID`: the trace of one request (live while it runs), as text or JSON. */
export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('Show the trace of a request: route, every call and attempt, checks, escalations, totals')
    .argument('<request-id>', 'the request id (= the workflow id)', requestIdArg)
    .option('--json', 'print the trace as one JSON document')
    .option('--history', 'print the full event history as JSON instead (for `cascade replay` and tests)')
    .option('-c, --config <file>', 'config file')
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'namespace', nonEmptyArg)
    .action(
      async (
        id: string,
        opts: { json?: boolean; history?: boolean; config?: string; address?: string; namespace?: string },
      ) => {
        const loaded = loadConfigForCli(opts.config);
        const cascade = await connectCascadeForCli({
          config: loaded,
          address: opts.address ?? readEnv().temporalAddress,
          namespace: opts.namespace,
        });
        try {
          if (opts.history) {
            process.stdout.write(JSON.stringify(await cascade.exportHistory(id)) + '\n');
            return;
          }
          const trace = await cascade.trace(id);
          process.stdout.write(opts.json ? JSON.stringify(trace) + '\n' : formatTrace(trace));
        } catch (err) {
          const msg = (err as Error).message;
          if (/not found/i.test(msg)) throw new CliError(`no request with id "${id}" (${msg})`, EXIT.usage);
          throw err;
        } finally {
          await cascade.close();
        }
      },
    );
}

const usd = (n: number) => `$${n.toPrecision(3)}`;

export function formatTrace(t: Trace): string {
  const lines = [
    `request ${t.requestId}: ${t.status}, task ${t.taskType}, route ${t.route}`,
    `  config ${t.policy.configVersion}, calibration ${t.policy.calibrationVersion}` +
      (t.decision
        ? `, classifier ${t.decision.classifierVersion} (complexity ${t.decision.complexity}, ${t.decision.decisionMs} ms)`
        : ''),
  ];
  for (const c of t.calls) {
    lines.push(`  rung ${c.rung + 1} ${c.model} (${c.purpose})`);
    for (const a of c.attempts) {
      lines.push(
        `    attempt ${a.attempt}: ${a.ok ? 'ok' : `${a.errorClass}${a.status ? ` ${a.status}` : ''}`}, ` +
          `${Math.round(a.latencyMs)} ms, ${a.tokensIn}+${a.tokensOut} tokens, ${usd(a.costUsd)}` +
          (a.backoffMs ? `, then waited ${a.backoffMs} ms` : ''),
      );
    }
  }
  for (const k of t.checks) {
    const detail =
      k.kind === 'schema'
        ? k.errors?.join('; ') || 'valid'
        : `${k.source}: raw ${k.raw?.toFixed(4) ?? 'none'} -> P(correct) ${k.calibrated?.toFixed(3) ?? 'none'} vs ${k.threshold}`;
    lines.push(`  check ${k.kind} on ${k.model}: ${k.passed ? 'passed' : 'FAILED'} (${detail})`);
  }
  for (const e of t.escalations) lines.push(`  escalated ${e.from} -> ${e.to ?? '(none left)'}: ${e.reason}`);
  lines.push(`  final: ${t.final.model ?? 'none'}${t.error ? ` (${t.error})` : ''}`);
  const x = t.totals;
  lines.push(
    `  cost ${usd(x.costUsd)} vs large-only ${usd(x.baselineCostUsd)}${x.baselineEstimated ? ' (estimated)' : ''}, ` +
      `wasted ${usd(x.wastedCostUsd)}, ${x.attempts} attempts, ${x.orchestrationActions} Temporal actions (${usd(x.orchestrationCostUsd)})`,
  );
  return lines.join('\n') + '\n';
}
