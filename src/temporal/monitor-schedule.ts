/**
 * The Temporal Schedule that runs the monitors (src/temporal/workflows/monitor.ts): one evaluation per
 * interval for the whole cluster, however many workers poll. Created by `cascade setup`,
 * `cascade worker` and `cascade dev`; idempotent: an existing schedule is updated to the
 * config's interval and task queue rather than duplicated, so every worker may call this at start.
 *
 * Overlap SKIP: an evaluation still running when the next is due (a slow ledger) makes the next
 * one skip, not queue. Catchup is one interval: after an outage the schedule evaluates once
 * (the window covers the gap), not once per missed interval.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleOptions } from '@temporalio/client';
import { CASCADE_TASK_QUEUE } from '../request/router/cascade-input';

export const MONITOR_SCHEDULE_ID = 'cascade-monitors';

export interface MonitorScheduleOptions {
  everyMs: number;
  scheduleId?: string;
  taskQueue?: string;
}

export async function ensureMonitorSchedule(
  client: Client,
  opts: MonitorScheduleOptions,
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = opts.scheduleId ?? MONITOR_SCHEDULE_ID;
  const taskQueue = opts.taskQueue ?? CASCADE_TASK_QUEUE;
  const options: ScheduleOptions = {
    scheduleId,
    spec: { intervals: [{ every: opts.everyMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'monitorWorkflow',
      taskQueue,
      args: [{}],
      workflowExecutionTimeout: Math.max(opts.everyMs, 5 * 60_000),
    },
    policies: { overlap: 'SKIP', catchupWindow: Math.max(opts.everyMs, 60_000) },
    memo: { purpose: 'cascade-router monitors: is routing paying? (docs/monitors.md)' },
  };
  try {
    await client.schedule.create(options);
    return { scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec: options.spec,
    action: { ...previous.action, ...options.action },
    policies: { ...previous.policies, ...options.policies },
  }));
  return { scheduleId, created: false };
}
