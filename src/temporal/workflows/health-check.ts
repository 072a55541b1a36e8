/**
 * A workflow that does no model work: it proves that a worker polls the `cascade` queue and
 * that every search attribute of the Contracts is registered and writable on the namespace.
 * `cascade setup --verify` runs it; so does the test harness's first test.
 */
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ALL_SEARCH_ATTRIBUTES, defaultSearchAttributes } from './search-attributes';

export interface HealthCheckResult {
  workflowId: string;
  searchAttributes: string[];
}

export async function healthCheckWorkflow(): Promise<HealthCheckResult> {
  // Upserting a key the namespace does not know fails the workflow task with a clear error
  // naming it, which is exactly what this check is for.
  upsertSearchAttributes(defaultSearchAttributes('static', 'health-check', false));
  return {
    workflowId: workflowInfo().workflowId,
    searchAttributes: ALL_SEARCH_ATTRIBUTES.map((k) => k.name),
  };
}
