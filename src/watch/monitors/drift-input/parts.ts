/** The input-drift monitor's gauges and chart (registry.ts). */
import type { MonitorParts } from '../parts';
import { featureDriftChart } from './chart';

export const driftInputParts: MonitorParts = {
  name: 'drift-input',
  monitors: ['drift_input'],
  gauges: [
    {
      name: 'cascade_monitor_feature_psi',
      help: 'Population stability index of a feature vs the reference',
      labelNames: ['feature'],
      samples: (r) => r.drift.features.map((f) => ({ labels: { feature: f.feature }, value: f.psi })),
    },
    {
      name: 'cascade_monitor_feature_psi_critical',
      help: 'PSI above which a feature has drifted (the larger of the configured bar and sampling noise)',
      labelNames: ['feature'],
      samples: (r) => r.drift.features.map((f) => ({ labels: { feature: f.feature }, value: f.critical })),
    },
  ],
  charts: [{ name: 'drift-features', draw: featureDriftChart }],
};
