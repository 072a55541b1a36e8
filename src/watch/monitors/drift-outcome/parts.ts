/** The outcome-drift monitor's gauges and chart (registry.ts). */
import type { GaugeSample, MonitorParts } from '../parts';
import { outcomeDriftChart } from './chart';

export const driftOutcomeParts: MonitorParts = {
  name: 'drift-outcome',
  monitors: ['drift_outcome'],
  gauges: [
    {
      name: 'cascade_monitor_outcome_accuracy',
      help: 'Accuracy from feedback per task and model',
      labelNames: ['task', 'model', 'period'],
      samples: (r) => {
        const out: GaugeSample[] = [];
        for (const o of r.drift.outcomes) {
          const acc = o.accuracy;
          if (acc?.current.rate != null)
            out.push({
              labels: { task: o.task, model: o.model, period: 'current' },
              value: acc.current.rate,
            });
          if (acc?.reference.rate != null)
            out.push({
              labels: { task: o.task, model: o.model, period: 'reference' },
              value: acc.reference.rate,
            });
        }
        return out;
      },
    },
    {
      name: 'cascade_monitor_outcome_drifted',
      help: 'Outcome drift per task and model (1 = drifted)',
      labelNames: ['task', 'model'],
      samples: (r) =>
        r.drift.outcomes.map((o) => ({ labels: { task: o.task, model: o.model }, value: o.drifted ? 1 : 0 })),
    },
  ],
  charts: [{ name: 'drift-outcomes', draw: outcomeDriftChart }],
};
