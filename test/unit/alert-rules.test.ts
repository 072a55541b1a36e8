/**
 * deploy/prometheus/cascade-alerts.yml states the monitors' conditions as Prometheus rules: every
 * monitor has a rule, every metric a rule reads is one the workers serve, and the thresholds in
 * the expressions are the config's defaults (a changed default must change the rule with it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { monitorsSchema } from '../../src/request/config/monitors-schema';
import { MONITORS } from '../../src/watch/monitors/types';
import { registerMonitorGauges } from '../../src/watch/telemetry/monitor-gauges';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string; monitor: string };
  annotations: { summary: string; description: string };
}

const file = path.join(__dirname, '../../deploy/prometheus/cascade-alerts.yml');
const rules = (parse(fs.readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);
const byMonitor = (m: string) => rules.filter((r) => r.labels.monitor === m);

describe('Prometheus alert rules', () => {
  it('has a rule for every monitor, with a severity and a summary', () => {
    for (const m of MONITORS) expect(byMonitor(m).length, m).toBeGreaterThan(0);
    for (const r of rules) {
      expect(['warning', 'critical']).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
    }
  });

  it('reads only metrics the workers serve', () => {
    const registry = new Registry();
    registerMonitorGauges(registry, { latest: async () => null });
    const served = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const used = new Set(rules.flatMap((r) => r.expr.match(/cascade_[a-z_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(served, name).toContain(name);
  });

  it("uses the config's default thresholds", () => {
    const d = monitorsSchema.parse({});
    const expr = (m: string) => byMonitor(m)[0]!.expr;
    expect(expr('escalation_rate')).toContain(`+ ${d.escalation.margin}`);
    expect(expr('quality_delta')).toContain(`< -${d.quality.tolerance}`);
    expect(expr('retry_amplification')).toContain(`> ${d.retries.maxAmplification}`);
    expect(expr('router_cost')).toContain(`> ${d.routerCost.maxFraction}`);
  });
});
