/** `cascade advise` output: Markdown (default), the tasks section of a config (YAML), or one JSON document. */
import YAML from 'yaml';
import { fmtTokens, ms, num, pct, usd } from './text';
import type { AdviseOptions, TaskAdvice } from './types';

const LABEL: Record<TaskAdvice['recommendation']['kind'], string> = {
  'static-small': 'static small',
  'static-large': 'static large',
  'rules-route': 'rules route',
  'calibrated-cascade': 'calibrated cascade',
  'latency-budget': 'latency-budget dispatch',
};

const interval = (i: [number, number] | null) => (i ? `${usd(i[0])} .. ${usd(i[1])}` : '-');

export function formatMarkdown(advice: readonly TaskAdvice[], opts: AdviseOptions): string {
  const out: string[] = [];
  out.push(
    '# Should you route at all?',
    '',
    `${fmtTokens(opts.monthlyTokens)} tokens/month; target ${pct(opts.target)} of the large model's quality with ${pct(opts.confidence)} confidence; ` +
      (opts.routerCostUsdMonth !== undefined
        ? `router engineering + operating cost ${usd(opts.routerCostUsdMonth)}/month`
        : "break-even: the field report's 5-10M tokens/month band (give --router-cost-usd-month to compute it)") +
      '.',
    '',
    '| task | recommendation | expected saving / month | interval | why |',
    '| --- | --- | ---: | --- | --- |',
    ...advice.map(
      (a) =>
        `| ${a.task} | ${LABEL[a.recommendation.kind]}${a.recommendation.model ? ` (${a.recommendation.model})` : ''} | ${a.recommendation.monthlySavingUsd === null ? 'unknown' : usd(a.recommendation.monthlySavingUsd)} | ${interval(a.recommendation.monthlySavingInterval)} | ${a.recommendation.reason.replace(/\|/g, '/')} |`,
    ),
    '',
  );
  const total = advice.reduce((s, a) => s + (a.recommendation.monthlySavingUsd ?? 0), 0);
  out.push(`Total expected saving: ${usd(total)}/month against serving every task with its large model.`, '');
  for (const a of advice) {
    out.push(
      `## ${a.task}`,
      '',
      `${a.requests} requests (${a.source}); small ${a.small}, large ${a.large}.`,
      '',
    );
    out.push(
      '| model | mean cost | tokens | p95 latency | accuracy | agrees with large | schema valid |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const m of a.models) {
      out.push(
        `| ${m.model} | ${m.meanCostUsd.toExponential(3)} | ${m.meanTokens.toFixed(0)} | ${ms(m.latencyP95Ms)} | ${pct(m.accuracy)} | ${pct(m.agreementWithLarge)} | ${pct(m.schemaValidRate)} |`,
      );
    }
    const l = a.labelled;
    const b = a.bimodality;
    out.push(
      '',
      `1. **Spend vs break-even** (${a.spend.verdict}): ${a.spend.note}.` +
        (a.spend.orchestrationExtraUsdMonth !== null
          ? ` Routing adds ${num(a.spend.extraActionsPerRequest, 2)} Temporal actions a request: ${usd(a.spend.orchestrationExtraUsdMonth)}/month at ${fmtTokens(a.spend.requestsPerMonth)} requests.`
          : ''),
      `2. **Labelled data** (${l.rows} rows, labels: ${l.labelSource}; ${l.enough ? 'enough' : 'not enough'}): ${l.note}.` +
        (l.chosen
          ? ` Chosen: quality ${pct(l.chosen.relativeQuality)} (bound ${pct(l.chosen.lowerBound)}), cost ${pct(l.chosen.relativeCost)}, savings interval ${pct(l.chosen.savingsInterval[0])}..${pct(l.chosen.savingsInterval[1])}, escalation ${pct(l.chosen.escalationRate)} (${pct(l.chosen.escalationInterval[0])}..${pct(l.chosen.escalationInterval[1])}).`
          : '') +
        (l.pointEstimate
          ? ` Point estimate alone: quality ${pct(l.pointEstimate.relativeQuality)}, cost ${pct(l.pointEstimate.relativeCost)}.`
          : '') +
        (l.smallAlone
          ? ` ${a.small} alone: quality ${pct(l.smallAlone.relativeQuality)} (bound ${pct(l.smallAlone.lowerBound)}), cost ${pct(l.smallAlone.relativeCost)}.`
          : ''),
      `3. **Bimodality** (${b.verdict}): small as good ${pct(b.smallAsGood)}, small fails ${pct(b.smallFails)}, both wrong ${pct(b.bothWrong)}, borderline ${pct(b.borderline)}, confidence AUC ${num(b.confidenceAuc)}. ${b.note}.`,
      `4. **Structural validation**: ${a.structural.note}.`,
      `5. **Latency under load**: ${a.latency.note}.`,
      '',
      `**Recommendation: ${LABEL[a.recommendation.kind]}${a.recommendation.model ? ` with ${a.recommendation.model}` : ''}.** ${a.recommendation.reason}.` +
        (a.recommendation.monthlySavingUsd !== null
          ? ` Expected saving ${usd(a.recommendation.monthlySavingUsd)}/month (${interval(a.recommendation.monthlySavingInterval)}).`
          : ''),
      ...a.recommendation.warnings.map((w) => `> warning: ${w}`),
      '',
    );
  }
  return out.join('\n');
}

/** The task policy a recommendation means, as config YAML. */
export function taskConfig(a: TaskAdvice, calibrationPath: string | null): Record<string, unknown> {
  const r = a.recommendation;
  const confidence = a.fit?.artefact.rungs[0]?.confidence ?? 'self_check';
  switch (r.kind) {
    case 'static-small':
    case 'static-large':
      return { route: 'static', rungs: [{ model: r.model }] };
    case 'rules-route':
      return a.structural.schema
        ? {
            route: 'direct-small',
            responseSchema: "(the task's schema)",
            rungs: [{ model: a.small }, { model: a.large }],
          }
        : { route: 'cascade', rungs: [{ model: a.small, confidence, threshold: 0.7 }, { model: a.large }] };
    case 'calibrated-cascade':
      return {
        route: 'cascade',
        calibration: calibrationPath ?? `calibrations/${slug(a.task)}/calibration.json`,
        // The ladder the calibration chose (any cheapest-first subset of the labelled models).
        rungs: (a.fit?.artefact.ladder ?? [a.small, a.large]).map((model) => ({ model })),
      };
    case 'latency-budget':
      return {
        route: 'latency-budget',
        latencyBudgetMs: Math.max(
          500,
          Math.round((a.models.find((m) => m.model === a.large)?.latencyP95Ms ?? 1000) * 1.5),
        ),
        rungs: [{ model: a.small }, { model: a.large }],
      };
  }
}

export const slug = (task: string) => task.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-|-$/g, '');

export function formatSnippet(
  advice: readonly TaskAdvice[],
  calibrationPaths: Record<string, string>,
  opts: { target: number; confidence: number },
): string {
  const out = ['# cascade advise: the tasks section (merge into cascade.config.yaml)', 'tasks:'];
  for (const a of advice) {
    const r = a.recommendation;
    out.push(
      `  # ${a.task}: ${LABEL[r.kind]}${r.monthlySavingUsd !== null ? `, expected saving ${usd(r.monthlySavingUsd)}/month (${interval(r.monthlySavingInterval)})` : ''}`,
    );
    if (r.kind === 'calibrated-cascade' && !calibrationPaths[a.task]) {
      out.push(
        `  # write the artefact: cascade calibrate --train ${a.source
          .replace(/^[a-z]+: /, '')
          .split(', ')
          .join(
            ' ',
          )} --candidates ${(a.fit?.artefact.candidates ?? [a.small, a.large]).join(',')} --target ${opts.target} --confidence ${a.fit?.artefact.target.confidence ?? opts.confidence} --out calibrations/${slug(a.task)}`,
      );
    }
    if (r.kind === 'rules-route' && !a.structural.schema)
      out.push('  # a placeholder: uncalibrated threshold; collect labels, then `cascade calibrate`');
    const yaml = YAML.stringify(
      { [slug(a.task)]: taskConfig(a, calibrationPaths[a.task] ?? null) },
      { flowCollectionPadding: true },
    );
    out.push(
      ...yaml
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  return out.join('\n') + '\n';
}

/** The `--json` document (the fit objects are summarised, not dumped). */
export function adviseJson(
  advice: readonly TaskAdvice[],
  opts: AdviseOptions,
  extra: Record<string, unknown>,
): unknown {
  return {
    kind: 'cascade-advice',
    inputs: {
      monthlyTokens: opts.monthlyTokens,
      routerCostUsdMonth: opts.routerCostUsdMonth ?? null,
      target: opts.target,
      confidence: opts.confidence,
      breakEvenBand: advice[0]?.spend.breakEvenBand ?? null,
      ...extra,
    },
    tasks: advice.map(({ fit, ...a }) => ({
      ...a,
      calibrationRecommendation: fit?.artefact.recommendation ?? null,
    })),
    totalMonthlySavingUsd: advice.reduce((s, a) => s + (a.recommendation.monthlySavingUsd ?? 0), 0),
  };
}
