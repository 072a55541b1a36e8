/**
 * The search attributes of the Contracts. `cascade setup` registers them on a namespace, the
 * worker checks them at start, and the workflow sets every one of them at start with a default
 * (false, 0, "none") so that filters such as `CascadeEscalated = false` match from the first
 * second, then upserts them once at the end.
 *
 * SQL visibility allows 3 Bool, 3 Int, 3 Double and 10 Keyword attributes per namespace; this
 * list uses 2, 1, 1 and 5 of them.
 *
 * `CascadeStatus` (running, then answered, failed or cancelled) was added after the first eight:
 * a request that got no answer completes its workflow (its trace is the result), so the
 * workflow's own status cannot tell it from an answered one. Workflows started before it carry
 * none (their snapshots have no `execution`), so replaying their histories issues the same
 * commands as before.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const SA = {
  route: defineSearchAttributeKey('CascadeRoute', SearchAttributeType.KEYWORD),
  taskType: defineSearchAttributeKey('CascadeTaskType', SearchAttributeType.KEYWORD),
  escalationReason: defineSearchAttributeKey('CascadeEscalationReason', SearchAttributeType.KEYWORD),
  finalModel: defineSearchAttributeKey('CascadeFinalModel', SearchAttributeType.KEYWORD),
  escalated: defineSearchAttributeKey('CascadeEscalated', SearchAttributeType.BOOL),
  shadow: defineSearchAttributeKey('CascadeShadow', SearchAttributeType.BOOL),
  attempts: defineSearchAttributeKey('CascadeAttempts', SearchAttributeType.INT),
  costUsd: defineSearchAttributeKey('CascadeCostUsd', SearchAttributeType.DOUBLE),
  status: defineSearchAttributeKey('CascadeStatus', SearchAttributeType.KEYWORD),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SA);

/** The values every cascade starts with, before anything is known. */
export function defaultSearchAttributes(
  route: string,
  taskType: string,
  shadow: boolean,
  withStatus = true,
): SearchAttributePair[] {
  return [
    ...(withStatus ? [{ key: SA.status, value: 'running' }] : []),
    { key: SA.route, value: route },
    { key: SA.taskType, value: taskType },
    { key: SA.escalationReason, value: 'none' },
    { key: SA.finalModel, value: 'none' },
    { key: SA.escalated, value: false },
    { key: SA.shadow, value: shadow },
    { key: SA.attempts, value: 0 },
    { key: SA.costUsd, value: 0 },
  ];
}
