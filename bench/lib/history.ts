/**
 * Where a workflow's time went, from its event history as the server stored it: the gap before
 * each event is charged to what that event ends.
 *
 *   wftQueue       workflow task scheduled -> picked up by a worker (matching, poll round trip)
 *   wftRun         workflow task started -> completed (the worker running workflow code, and
 *                  the local activities: classify and check run inside the workflow task)
 *   activityQueue  activity scheduled -> picked up by the model worker
 *   activityRun    activity started -> completed (the model's HTTP call, heartbeats, reporting)
 *   other          the rest (events the server writes at once: scheduled, upsert, completed)
 *
 * It reads the decoded events (fetchHistory); no JSON conversion is needed.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

export const PHASES = ['wftQueue', 'wftRun', 'activityQueue', 'activityRun', 'other'] as const;
export type Phase = (typeof PHASES)[number];

export interface HistoryBreakdown {
  workflowId: string;
  events: number;
  workflowTasks: number;
  activityTasks: number;
  /** Lower-case event types without the EVENT_TYPE_ prefix, in order. */
  eventTypes: string[];
  /** Epoch milliseconds of the first and last event (server clock). */
  firstEventMs: number;
  lastEventMs: number;
  phasesMs: Record<Phase, number>;
}

function phaseOf(type: string): Phase {
  switch (type) {
    case 'workflow_task_started':
      return 'wftQueue';
    case 'workflow_task_completed':
    case 'workflow_task_failed':
    case 'workflow_task_timed_out':
      return 'wftRun';
    case 'activity_task_started':
      return 'activityQueue';
    case 'activity_task_completed':
    case 'activity_task_failed':
    case 'activity_task_timed_out':
      return 'activityRun';
    default:
      return 'other';
  }
}

function epochMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
}

export async function historyBreakdown(client: Client, workflowId: string): Promise<HistoryBreakdown> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const eventTypes = events.map((e) =>
    (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '').toLowerCase(),
  );
  const times = events.map((e) => epochMs(e.eventTime));
  const phasesMs: Record<Phase, number> = {
    wftQueue: 0,
    wftRun: 0,
    activityQueue: 0,
    activityRun: 0,
    other: 0,
  };
  for (let i = 1; i < events.length; i++) {
    phasesMs[phaseOf(eventTypes[i]!)] += times[i]! - times[i - 1]!;
  }
  return {
    workflowId,
    events: events.length,
    workflowTasks: eventTypes.filter((t) => t === 'workflow_task_completed').length,
    activityTasks: eventTypes.filter((t) => t === 'activity_task_scheduled').length,
    eventTypes,
    firstEventMs: times[0] ?? NaN,
    lastEventMs: times[times.length - 1] ?? NaN,
    phasesMs,
  };
}
