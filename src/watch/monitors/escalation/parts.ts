/** The escalation-rate monitor's gauges and chart (registry.ts). */
import type { EscalationRow } from '../types';
import { present, type MonitorParts } from '../parts';
import { escalationChart } from './chart';

const byTask = (e: EscalationRow) => ({ task: e.task, task_type: e.taskType });

export const escalationParts: MonitorParts = {
  name: 'escalation',
  monitors: ['escalation_rate'],
  gauges: [
    {
      name: 'cascade_monitor_escalation_rate',
      help: 'Escalation rate of served requests in the window',
      labelNames: ['task', 'task_type'],
      samples: (r) => present(r.escalation.rows, byTask, (e) => e.observed.rate),
    },
    {
      name: 'cascade_monitor_escalation_rate_low',
      help: 'Lower bound of the escalation rate (Wilson)',
      labelNames: ['task', 'task_type'],
      samples: (r) => present(r.escalation.rows, byTask, (e) => e.observed.low),
    },
    {
      name: 'cascade_monitor_escalation_baseline_high',
      help: 'Upper bound of the expected escalation rate (calibration or reference window)',
      labelNames: ['task', 'task_type'],
      samples: (r) => present(r.escalation.rows, byTask, (e) => e.baseline?.high),
    },
  ],
  charts: [{ name: 'escalation', draw: escalationChart }],
};
