/**
 * `cascade report`: is the router paying, over a time window, from the ledger. The same
 * computation as the scheduled monitors (src/watch/monitors), on demand: a terminal table, `--json`
 * (the Report document of src/watch/monitors/types.ts), or `--html FILE`, one self-contained page with
 * the charts. `--latest` shows the last scheduled evaluation instead of computing one.
 */
import { writeFile } from 'node:fs/promises';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Command } from 'commander';
import { readEnv } from '../../env';
import { openLedger } from '../../request/ledger/open';
import type { Ledger } from '../../request/ledger/types';
import type { CascadeConfig } from '../../request/config/schema';
import { buildReport } from '../../watch/monitors/build-report';
import { type Report, storedReport, type Window } from '../../watch/monitors/types';
import { evaluationWindows } from '../../watch/monitors/windows';
import type { CalibrationArtefact } from '../../request/router/calibration/artefact';
import { renderReportHtml } from '../../watch/report/html';
import { renderReportTable } from '../../watch/report/table';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';
import { ledgerOpenError, nonEmptyArg } from '../args';

export interface ReportCliOptions {
  since?: string;
  from?: string;
  to?: string;
  referenceFrom?: string;
  referenceTo?: string;
  noReference?: boolean;
  buckets?: string;
  latest?: boolean;
  json?: boolean;
  html?: string;
  config?: string;
  ledger?: string;
  failOnAlert?: boolean;
}

export interface ReportDeps {
  ledger: Ledger;
  config: CascadeConfig;
  /** The artefacts of the config's tasks (`LoadedConfig.calibrations`): the calibrated baselines. */
  calibrations?: Record<string, CalibrationArtefact>;
  now?: number;
  write?: (text: string) => void;
}

/** Exit code of `--fail-on-alert` when an alert fires (for cron jobs and CI gates). */
export const EXIT_ALERTS = 5;

/** The action, with its ledger and config injected (tests call it in-process). */
export async function runReport(opts: ReportCliOptions, deps: ReportDeps): Promise<Report> {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const now = deps.now ?? Date.now();
  let report: Report;
  if (opts.latest) {
    const stored = await deps.ledger.latestEvaluation();
    if (!stored) {
      throw new CliError(
        `no stored evaluation in ${deps.ledger.location}: the monitors' schedule has not run yet ` +
          '(it starts with `cascade worker`/`cascade dev`), or run `cascade report` without --latest',
        EXIT.usage,
      );
    }
    report = storedReport(stored.report);
  } else {
    const { window, reference } = windowsOf(opts, deps.config, now);
    const monitors = { ...deps.config.monitors };
    if (opts.buckets !== undefined) monitors.buckets = positiveInt('--buckets', opts.buckets);
    report = await buildReport(deps.ledger, {
      window,
      reference,
      config: monitors,
      calibrations: deps.calibrations ?? {},
      now,
    });
  }
  if (opts.html) {
    await writeFile(opts.html, renderReportHtml(report));
    if (!opts.json) write(`wrote ${opts.html}\n`);
  }
  if (opts.json) write(JSON.stringify(report) + '\n');
  else if (!opts.html) write(renderReportTable(report));
  return report;
}

function windowsOf(
  opts: ReportCliOptions,
  config: CascadeConfig,
  now: number,
): { window: Window; reference: Window | null } {
  const to = opts.to !== undefined ? time('--to', opts.to) : now;
  if (opts.from !== undefined && opts.since !== undefined) {
    throw new CliError('give --from or --since, not both', EXIT.usage);
  }
  const windowMs =
    opts.from !== undefined
      ? to - time('--from', opts.from)
      : opts.since !== undefined
        ? duration('--since', opts.since)
        : config.monitors.windowMs;
  if (windowMs <= 0) throw new CliError('the window is empty: --from must be before --to', EXIT.usage);
  const defaults = evaluationWindows(to, { windowMs, referenceMs: config.monitors.referenceMs });
  if (opts.noReference) return { window: defaults.window, reference: null };
  if ((opts.referenceFrom === undefined) !== (opts.referenceTo === undefined)) {
    throw new CliError('give both --reference-from and --reference-to, or neither', EXIT.usage);
  }
  if (opts.referenceFrom !== undefined && opts.referenceTo !== undefined) {
    const reference = {
      from: time('--reference-from', opts.referenceFrom),
      to: time('--reference-to', opts.referenceTo),
    };
    if (reference.to <= reference.from) {
      throw new CliError(
        'the reference window is empty: --reference-from must be before --reference-to',
        EXIT.usage,
      );
    }
    return { window: defaults.window, reference };
  }
  return defaults;
}

/** An ISO 8601 time or epoch milliseconds. */
function time(flag: string, value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) {
    throw new CliError(
      `${flag} must be an ISO 8601 time (2026-11-28T12:00:00Z) or epoch ms, got ${JSON.stringify(value)}`,
      EXIT.usage,
    );
  }
  return n;
}

function duration(flag: string, value: string): number {
  let ms: number;
  try {
    ms = msToNumber(value as Parameters<typeof msToNumber>[0]);
  } catch {
    ms = NaN;
  }
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new CliError(
      `${flag} must be a duration like 30m, 24h or 7d, got ${JSON.stringify(value)}`,
      EXIT.usage,
    );
  }
  return ms;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500)
    throw new CliError(`${flag} must be an integer 1-500, got ${value}`, EXIT.usage);
  return n;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'Is the router paying? Savings, cost layers, escalations, quality, retries and drift over a window, from the ledger',
    )
    .option(
      '--since <duration>',
      "window up to --to (or now): 30m, 24h, 7d (default: the config's monitors.windowMs)",
    )
    .option('--from <time>', 'window start, ISO 8601 or epoch ms (instead of --since)')
    .option('--to <time>', 'window end, ISO 8601 or epoch ms (default: now)')
    .option(
      '--reference-from <time>',
      'drift/baseline reference window start (default: the monitors.referenceMs before the window)',
    )
    .option('--reference-to <time>', 'reference window end')
    .option(
      '--no-reference',
      'no reference window (drift is not computed; escalation baselines only from calibrations)',
    )
    .option('--buckets <n>', 'time buckets for the charts and "sustained" (default: monitors.buckets)')
    .option('--latest', 'show the latest scheduled evaluation instead of computing one')
    .option('--json', 'print the report as one JSON document')
    .option('--html <file>', 'write a self-contained HTML page with charts', nonEmptyArg)
    .option('--fail-on-alert', `exit ${EXIT_ALERTS} when an alert fires (cron jobs, CI gates)`)
    .option('--config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
    .option('--ledger <url>', 'ledger URL (default: $CASCADE_LEDGER_URL or the SQLite file under .cascade/)')
    .action(async (raw: ReportCliOptions & { reference?: boolean }) => {
      const opts: ReportCliOptions = { ...raw, noReference: raw.reference === false };
      const loaded = loadConfigForCli(opts.config);
      let ledger: Ledger;
      try {
        ledger = await openLedger(opts.ledger ?? readEnv().ledgerUrl);
      } catch (err) {
        throw ledgerOpenError(err);
      }
      try {
        const report = await runReport(opts, {
          ledger,
          config: loaded.config,
          calibrations: loaded.calibrations,
        });
        if (opts.failOnAlert && report.alerts.length > 0) process.exitCode = EXIT_ALERTS;
      } finally {
        await ledger.close();
      }
    });
}
