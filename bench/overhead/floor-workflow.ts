/**
 * The floor of bench/overhead: what Temporal itself costs for one request on this machine, with
 * none of the router in it. Bundled on its own (bench/overhead/floor.ts), never part of the
 * product's workflow bundle.
 *
 *   temporal-floor  a workflow that returns in its first workflow task (no call at all): the least
 *                   any request-per-workflow design pays (start, one task, the result)
 *   temporal-call   a workflow whose first task runs one local activity making the direct call:
 *                   the least any Temporal router pays for a durable, recorded model call
 */
import { proxyLocalActivities } from '@temporalio/workflow';
import type { FloorActivities, FloorInput, FloorResult } from './floor-types';

const { floorCall } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '30 seconds' });

export async function floorWorkflow(input: FloorInput): Promise<FloorResult> {
  if (!input.call) return { latencyMs: 0, costUsd: 0 };
  return await floorCall(input);
}
