/** The retry-amplification monitor's gauge and chart (registry.ts). */
import { present, type MonitorParts } from '../parts';
import { retriesChart } from './chart';

export const retriesParts: MonitorParts = {
  name: 'retries',
  monitors: ['retry_amplification'],
  gauges: [
    {
      name: 'cascade_monitor_retry_amplification',
      help: 'User-retry rate of small-served over large-served requests',
      labelNames: ['task'],
      samples: (r) =>
        present(
          r.retries,
          (t) => ({ task: t.task }),
          (t) => t.amplification,
        ),
    },
  ],
  charts: [{ name: 'retries', draw: retriesChart }],
};
