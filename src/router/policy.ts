/**
 * The policy snapshot: everything a cascade decides from, resolved from the config when the
 * request starts and passed to the workflow as input. Workflow code never reads files, config,
 * clocks or caches, so a recorded history replays the same after the config or calibration
 * changes: the values it used are in its own input.
 */
import type { CascadeConfig, ConfidenceSource, LimitsConfig, Route } from '../config/schema';

export type { Route } from '../config/schema';

/** A map from a raw confidence to P(correct); `identity` until `cascade calibrate` fits one. */
export type CalibrationMap =
  | { kind: 'identity' }
  /** Piecewise-linear through sorted points (isotonic fits produce these). */
  | { kind: 'piecewise'; x: number[]; y: number[] };

export interface RungSnapshot {
  model: string;
  /** Task queue whose workers call this model's endpoint: `cascade-model-<modelId>`. */
  taskQueue: string;
  threshold: number | null;
  confidence: ConfidenceSource | null;
  calibration: CalibrationMap;
  pricing: { inputPerMTok: number; outputPerMTok: number };
  /** Per-attempt timeout of the endpoint, used as the activity's start-to-close timeout. */
  timeoutMs: number;
}

export interface PolicySnapshot {
  task: string;
  route: Route;
  configVersion: string;
  calibrationVersion: string;
  rungs: RungSnapshot[];
  responseSchema: Record<string, unknown> | null;
  limits: LimitsConfig;
  /** USD per Temporal action, to price the orchestration as router cost. */
  costPerAction: number;
}

export function modelTaskQueue(modelId: string): string {
  return `cascade-model-${modelId}`;
}

export class UnknownTaskError extends Error {
  constructor(task: string, known: string[]) {
    super(`unknown task "${task}"; configured tasks: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownTaskError';
  }
}

/** Resolves a task's policy from a validated config (pure: the caller loaded the config). */
export function buildPolicySnapshot(
  config: CascadeConfig,
  configVersion: string,
  taskId: string,
): PolicySnapshot {
  const task = config.tasks[taskId];
  if (!task) throw new UnknownTaskError(taskId, Object.keys(config.tasks));
  return {
    task: taskId,
    route: task.route,
    configVersion,
    calibrationVersion: 'none',
    rungs: task.rungs.map((r) => {
      const model = config.models[r.model];
      // validate.ts guarantees every rung's model exists; this guards hand-built configs.
      if (!model) throw new Error(`task "${taskId}" names unknown model "${r.model}"`);
      return {
        model: r.model,
        taskQueue: modelTaskQueue(r.model),
        threshold: r.threshold ?? null,
        confidence: r.confidence ?? null,
        calibration: { kind: 'identity' },
        pricing: { ...model.pricing },
        timeoutMs: model.timeoutMs,
      };
    }),
    responseSchema: task.responseSchema ?? null,
    limits: { ...task.limits },
    costPerAction: config.temporal.costPerAction,
  };
}
