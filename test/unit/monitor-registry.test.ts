/**
 * The monitors' registry (src/watch/monitors/registry.ts): every monitor has its folder's parts
 * there once, and what the registry lists is what a scrape serves and the HTML page draws.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { computeReport } from '../../src/watch/monitors/compute-report';
import { MONITOR_GAUGES, MONITOR_PARTS } from '../../src/watch/monitors/registry';
import { MONITORS } from '../../src/watch/monitors/types';
import { REPORT_CHARTS, renderReportHtml } from '../../src/watch/report/html';
import { registerMonitorGauges } from '../../src/watch/telemetry/monitor-gauges';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import { config, stream, WINDOW } from './monitors-fixtures';

const report = () => {
  const current = stream({
    window: WINDOW,
    n: 400,
    seed: 7,
    hardShare: 0.3,
    feedbackRate: 0.5,
    retrySmall: 0.1,
  });
  return computeReport(
    { current, retries: current.retries, reference: null },
    { window: WINDOW, reference: null, config: config() },
  );
};

describe('monitor registry', () => {
  it('holds every monitor once', () => {
    const listed = MONITOR_PARTS.flatMap((p) => p.monitors);
    expect([...listed].sort()).toEqual([...MONITORS].sort());
    expect(new Set(MONITOR_PARTS.map((p) => p.name)).size).toBe(MONITOR_PARTS.length);
  });

  it('names each gauge once, and a scrape serves each with the samples its part computes', async () => {
    const names = MONITOR_GAUGES.map((g) => g.name);
    expect(new Set(names).size).toBe(names.length);
    const r = report();
    const registry = new Registry();
    registerMonitorGauges(registry, {
      latest: async () => ({ id: 'e1', at: WINDOW.to, report: r as never, recordedAt: WINDOW.to }),
    });
    const text = await registry.metrics();
    let samples = 0;
    for (const spec of MONITOR_GAUGES) {
      expect(text).toContain(`# HELP ${spec.name} ${spec.help}`);
      const served = parseSamples(text, spec.name);
      const expected = spec.samples(r);
      expect(served.map((s) => [s.labels, s.value])).toEqual(
        expect.arrayContaining(expected.map((s) => [s.labels, s.value])),
      );
      expect(served).toHaveLength(expected.length);
      samples += expected.length;
    }
    // The fixture exercises the gauges: a registry that served nothing would not pass.
    expect(samples).toBeGreaterThan(10);
  });

  it('draws the registry charts on the page, in the page order', () => {
    expect(REPORT_CHARTS).toEqual([
      'cost',
      'escalation',
      'quality',
      'retries',
      'drift-features',
      'drift-outcomes',
    ]);
    const html = renderReportHtml(report());
    const drawn = [...html.matchAll(/<figure[^>]*data-chart="([^"]+)"/g)].map((m) => m[1]);
    expect(drawn).toEqual([...REPORT_CHARTS]);
  });
});
