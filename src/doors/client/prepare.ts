/**
 * From a raw request to a workflow input: validate the request, resolve its task's policy into
 * a snapshot, and refuse anything that cannot run (unknown task, invalid schema) with a clear
 * error before any workflow exists.
 */
import type { LoadedConfig } from '../../request/config-file/load';
import type { CascadeInput } from '../../request/router/cascade-input';
import { promptHash } from '../../request/ledger/prompt-hash';
import { compileJsonSchema, InvalidJsonSchemaError } from '../../request/router/json-schema';
import type { ControlState } from '../../request/router/control';
import { buildPolicySnapshot } from '../../request/router/policy';
import { unhonourableParam } from '../../request/router/param-support';
import { type NormalizedRequest, parseRequest, RequestError } from './request';

export interface PrepareOptions {
  /** Task queue of shadow children (tests run their own); default `cascade-shadow`. */
  shadowTaskQueue?: string;
  /** The control plane's state: its override of the request's task wins over the config file. */
  control?: ControlState;
}

/**
 * The request's own response schema, if it has one, must compile: refused with a RequestError on
 * `responseSchema` before any workflow starts (here, and for each pair of a profile).
 */
export function checkResponseSchema(request: Pick<NormalizedRequest, 'id' | 'responseSchema'>): void {
  if (!request.responseSchema) return;
  try {
    compileJsonSchema(request.responseSchema);
  } catch (err) {
    if (!(err instanceof InvalidJsonSchemaError)) throw err;
    throw new RequestError(request.id, [
      { path: 'responseSchema', message: `invalid JSON Schema: ${err.message}` },
    ]);
  }
}

export function prepareCascade(raw: unknown, loaded: LoadedConfig, opts: PrepareOptions = {}): CascadeInput {
  const request = parseRequest(raw);
  const { config, version, calibrations } = loaded;
  const task = request.task ?? config.defaultTask;
  if (!task) {
    throw new RequestError(request.id, [
      { path: 'task', message: 'no task given and the config has no defaultTask' },
    ]);
  }
  if (!Object.hasOwn(config.tasks, task)) {
    throw new RequestError(request.id, [
      {
        path: 'task',
        message: `unknown task "${task}"; configured tasks: ${Object.keys(config.tasks).join(', ')}`,
      },
    ]);
  }
  // A latency-budget task needs a budget: the request's, else the task's default. Refused by the
  // task's route (not by how this request happens to be served: rollout, shadow or kill switch),
  // so the same request is always accepted or always refused.
  if (
    config.tasks[task]!.route === 'latency-budget' &&
    request.latencyBudgetMs === undefined &&
    config.tasks[task]!.latencyBudgetMs === undefined
  ) {
    throw new RequestError(request.id, [
      {
        path: 'latencyBudgetMs',
        message: `task "${task}" uses route latency-budget: give the request a latencyBudgetMs, or the task a default latencyBudgetMs`,
      },
    ]);
  }
  const policy = buildPolicySnapshot(config, version, task, {
    requestId: request.id,
    latencyBudgetMs: request.latencyBudgetMs,
    shadowTaskQueue: opts.shadowTaskQueue,
    calibrations,
    ...(opts.control && Object.hasOwn(opts.control.tasks, task)
      ? { control: { task: opts.control.tasks[task]!, version: opts.control.version } }
      : {}),
  });
  checkResponseSchema(request);
  if (request.responseSchema) policy.responseSchema = request.responseSchema;
  // A parameter some rung that may answer cannot honour is refused, not dropped by that rung.
  const refused = unhonourableParam(request, policy, config.models);
  if (refused) throw new RequestError(request.id, [refused]);
  return {
    request: {
      id: request.id,
      task,
      messages: request.messages,
      ...(request.latencyBudgetMs !== undefined ? { latencyBudgetMs: request.latencyBudgetMs } : {}),
      ...(request.retryOf ? { retryOf: request.retryOf } : {}),
      ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.params ? { params: request.params } : {}),
      ...(request.tools ? { tools: request.tools } : {}),
      ...(request.metadata ? { metadata: request.metadata } : {}),
      // The ledger matches a user's retries on it; the prompt text itself is never stored there.
      promptHash: promptHash(request.messages),
    },
    policy,
  };
}
