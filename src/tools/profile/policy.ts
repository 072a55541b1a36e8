/**
 * The static policy a profile runs each (request, model) pair on: one model, no routing work, no
 * ledger record (profiling traffic is not production traffic and must not count in `cascade
 * report`), resolved from the config's models when the pair starts, like any policy snapshot. The
 * request's task does not need to be configured: a profile is how one decides whether to configure
 * it at all. Built here rather than in src/request/router/policy.ts because only profiling needs it; the
 * workflow code is unchanged (a `static` snapshot with `recordOutcome: false` is an input it
 * already runs).
 */
import { createHash } from 'node:crypto';
import type { LoadedConfig } from '../../request/config-file/load';
import { limitsSchema } from '../../request/config/schema';
import { checkResponseSchema } from '../../doors/client/prepare';
import { parseRequest } from '../../doors/client/request';
import { promptHash } from '../../request/ledger/prompt-hash';
import { modelSnapshot, type PolicySnapshot } from '../../request/router/policy';
import type { CascadeInput } from '../../request/router/cascade-input';

/** Workflow ids: printable ASCII without spaces, at most 200 characters (src/doors/client/request.ts). */
const MAX_ID = 200;

/** Anything outside [A-Za-z0-9._:-] becomes `_`. */
function sanitise(part: string): string {
  return part.replace(/[^A-Za-z0-9._:-]/g, '_');
}

/**
 * `profile-<profileId>-<requestId>-<model>`, sanitised; deterministic, so an interrupted profile
 * finds its workflows again. Too long: shortened with a hash of the full id so it stays unique.
 */
export function profileWorkflowId(profileId: string, requestId: string, model: string): string {
  const id = `profile-${sanitise(profileId)}-${sanitise(requestId)}-${sanitise(model)}`;
  if (id.length <= MAX_ID) return id;
  const hash = createHash('sha256').update(`${profileId}\0${requestId}\0${model}`).digest('hex').slice(0, 16);
  return `${id.slice(0, MAX_ID - hash.length - 1)}~${hash}`;
}

/** A profile id: what `--profile-id` accepts (it goes into workflow ids). */
export const PROFILE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The config's model id for a name: an id, or the endpoint model name (what labelled data calls it). */
export function resolveModelId(loaded: LoadedConfig, name: string): string | undefined {
  const models = loaded.config.models;
  if (Object.hasOwn(models, name)) return name;
  return Object.entries(models).find(([, m]) => m.model === name)?.[0];
}

/** The endpoint model name of a config model id (the id when it names none). */
export function endpointName(loaded: LoadedConfig, modelId: string): string {
  return loaded.config.models[modelId]?.model ?? modelId;
}

export interface ProfileInputOptions {
  profileId: string;
  /** The task for a request that names none (else the config's defaultTask, else `default`). */
  task?: string;
}

/**
 * The workflow input of one (request, model) pair: the request validated as `cascade run` would
 * (throws RequestError), on a static snapshot of `modelId`. The task's configured response schema
 * (if the task is configured) or the request's own is kept, so the call asks for structured output
 * as it would in production; the workflow's static route does not check it (the profiler does).
 */
export function profileInput(
  raw: unknown,
  loaded: LoadedConfig,
  modelId: string,
  opts: ProfileInputOptions,
): { input: CascadeInput; workflowId: string } {
  const request = parseRequest(raw);
  const { config, version } = loaded;
  if (!config.models[modelId]) throw new Error(`unknown model "${modelId}"`);
  const task = request.task ?? opts.task ?? config.defaultTask ?? 'default';
  const taskConfig = Object.hasOwn(config.tasks, task) ? config.tasks[task] : undefined;
  const responseSchema = request.responseSchema ?? taskConfig?.responseSchema ?? null;
  checkResponseSchema(request);
  const workflowId = profileWorkflowId(opts.profileId, request.id, modelId);
  const policy: PolicySnapshot = {
    task,
    route: 'static',
    configVersion: version,
    calibrationVersion: 'none',
    rungs: [
      {
        ...modelSnapshot(config, modelId, task),
        threshold: null,
        confidence: null,
        calibration: { kind: 'identity' },
        judge: null,
      },
    ],
    responseSchema,
    limits: taskConfig ? { ...taskConfig.limits } : limitsSchema.parse({}),
    costPerAction: config.temporal.costPerAction,
    servedAs: 'routed',
    recordOutcome: false,
    latencyBudgetMs: null,
    shadow: null,
  };
  return {
    workflowId,
    input: {
      request: {
        id: workflowId,
        task,
        messages: request.messages,
        ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        // Not the request's own metadata: a tenant's spend cap is about production traffic.
        metadata: { profileId: opts.profileId, profileRequestId: request.id },
        promptHash: promptHash(request.messages),
      },
      policy,
    },
  };
}
