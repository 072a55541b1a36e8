/** The quality monitor's gauge and chart (registry.ts). */
import { present, type MonitorParts } from '../parts';
import { qualityChart } from './chart';

export const qualityParts: MonitorParts = {
  name: 'quality',
  monitors: ['quality_delta'],
  gauges: [
    {
      name: 'cascade_monitor_quality_delta',
      help: 'Mean feedback score of small-served minus escalated requests',
      labelNames: ['task', 'task_type'],
      samples: (r) =>
        present(
          r.quality,
          (q) => ({ task: q.task, task_type: q.taskType }),
          (q) => q.delta,
        ),
    },
  ],
  charts: [{ name: 'quality', draw: qualityChart }],
};
