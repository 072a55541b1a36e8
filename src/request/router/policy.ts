/**
 * The policy snapshot: everything a cascade decides from, resolved from the config when the
 * request starts and passed to the workflow as input. Workflow code never reads files, config,
 * clocks or caches, so a recorded history replays the same after the config or calibration
 * changes: the values it used are in its own input.
 *
 * Operational control happens here, per request, when the snapshot is built: the kill switch
 * and model override force one model; `rollout` serves a stable share of request ids by the
 * route and the rest by the baseline; shadow mode attaches the routed policy to a sample of the
 * baseline-served requests.
 */
import type {
  CascadeConfig,
  ConfidenceSource,
  Execution,
  LimitsConfig,
  Route,
  TaskConfig,
} from '../config/schema';
import { unitHash } from './hash';
import type { TaskControl } from './control';
import type { RungSkip } from './rung-decision';

export type { Route } from '../config/schema';

/** A map from a raw confidence to P(correct); `identity` until `cascade calibrate` fits one. */
export type CalibrationMap =
  | { kind: 'identity' }
  /** Piecewise-linear through sorted points (isotonic fits produce these). */
  | { kind: 'piecewise'; x: number[]; y: number[] }
  /** Platt scaling: sigmoid(a * raw + b). */
  | { kind: 'platt'; a: number; b: number };

/** A model as the workflow needs it: where its calls run and what they cost. */
export interface ModelSnapshot {
  model: string;
  /** Task queue whose workers call this model's endpoint: `cascade-model-<modelId>`. */
  taskQueue: string;
  pricing: { inputPerMTok: number; outputPerMTok: number };
  /** Per-attempt timeout of the endpoint, used as the activity's start-to-close timeout. */
  timeoutMs: number;
  /** Worker slots of the model's queue (latency-budget dispatch converts queue depth to wait). */
  concurrency?: number;
  /** Service time assumed before any call was observed (latency-budget dispatch). */
  expectedLatencyMs?: number;
}

export interface RungSnapshot extends ModelSnapshot {
  threshold: number | null;
  confidence: ConfidenceSource | null;
  calibration: CalibrationMap;
  /** The judge model of a `judge` confidence rung. */
  judge?: ModelSnapshot | null;
  /**
   * When the pre-route classifier skips this rung (from the task's calibration artefact).
   * Absent in snapshots made before calibration artefacts existed: never skipped.
   */
  skip?: RungSkip | null;
}

/** Why a request is served the way it is (in the trace, so a dashboard can split by it). */
export type ServedAs = 'routed' | 'baseline-rollout' | 'baseline-shadow' | 'kill-switch' | 'override';

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
  /** Absent in histories recorded before operational control existed: read as 'routed'. */
  servedAs?: ServedAs;
  /** The latency-budget route's budget for this request. */
  latencyBudgetMs?: number | null;
  /**
   * Record the outcome to the ledger at the end. Absent in histories recorded before the ledger
   * existed, which therefore replay without that step (versioning by input, see src/temporal/workflows/record.ts).
   */
  recordOutcome?: boolean;
  /** Shadow mode: the routed policy to run beside the served baseline, and where. */
  shadow?: { policy: PolicySnapshot; taskQueue: string; waitForServedMs: number } | null;
  /**
   * The pre-route classifier of the task's calibration artefact. The weights are not in the
   * snapshot (workflow inputs stay small): the classify activity finds them by the artefact's
   * version among the artefacts its worker loaded. Absent: the rules-v1 baseline.
   */
  classifier?: { version: string; calibrationVersion: string } | null;
  /**
   * Where the model calls run: `lean` (local activities in the workflow task) or `durable`
   * (activities on the per-model queues). Absent in histories recorded before lean execution
   * existed, which replay as durable (versioning by input, like `recordOutcome`).
   */
  execution?: Execution;
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

/**
 * What the snapshot takes from a task's calibration artefact (src/request/router/calibration/artefact.ts,
 * read and verified by src/request/config-file/artefact-file.ts when the config was loaded).
 */
export interface TaskCalibration {
  version: string;
  rungs: readonly {
    calibration: CalibrationMap;
    threshold: number | null;
    confidence: ConfidenceSource | null;
    skip: RungSkip | null;
  }[];
  classifier: { version: string } | null;
}

export interface SnapshotOptions {
  /** The request id: rollout bucket and shadow sample are a stable hash of it. */
  requestId: string;
  /**
   * The artefacts of the config's tasks, by task id (`LoadedConfig.calibrations`): a task that
   * names a calibration must find its artefact here.
   */
  calibrations: Readonly<Record<string, TaskCalibration>>;
  latencyBudgetMs?: number;
  /** Task queue of shadow children (tests run their own). */
  shadowTaskQueue?: string;
  /**
   * The control plane's override of this task (src/request/router/control.ts), and the control state's
   * version: its fields win over the config file's; the snapshot's configVersion ends `+ctl<N>`.
   */
  control?: { task: TaskControl; version: number };
}

/** What a rung carries of its model: queue, prices, timeout, concurrency, expected latency. */
export function modelSnapshot(config: CascadeConfig, modelId: string, taskId: string): ModelSnapshot {
  const model = config.models[modelId];
  // validate.ts guarantees every referenced model exists; this guards hand-built configs.
  if (!model) throw new Error(`task "${taskId}" names unknown model "${modelId}"`);
  return {
    model: modelId,
    taskQueue: modelTaskQueue(modelId),
    pricing: { ...model.pricing },
    timeoutMs: model.timeoutMs,
    concurrency: model.concurrency,
    expectedLatencyMs: model.expectedLatencyMs,
  };
}

/**
 * Lean unless the task says durable, the route reads the per-model queues (latency-budget), or
 * one of the models may call for longer than `temporal.leanMaxCallMs` (docs/architecture.md,
 * "Lean and durable execution").
 */
export function resolveExecution(config: CascadeConfig, task: TaskConfig, modelIds: string[]): Execution {
  if (task.execution === 'durable' || task.route === 'latency-budget') return 'durable';
  if (task.execution === 'lean') return 'lean';
  const bound = config.temporal.leanMaxCallMs;
  const long = modelIds.some((id) => (config.models[id]?.timeoutMs ?? Infinity) > bound);
  return long ? 'durable' : 'lean';
}

/**
 * The task as the control plane has it: its kill switch, rollout and model override replace the
 * config file's. An override naming a model this config does not have is ignored (the request
 * is served as configured) rather than failing every request.
 */
function withControl(config: CascadeConfig, task: TaskConfig, control: TaskControl | undefined): TaskConfig {
  if (!control) return task;
  const next: TaskConfig = { ...task };
  if (control.killSwitch !== undefined) next.killSwitch = control.killSwitch;
  if (control.rollout !== undefined) next.rollout = control.rollout;
  if (control.overrideModel === null) delete next.overrideModel;
  else if (control.overrideModel !== undefined && Object.hasOwn(config.models, control.overrideModel))
    next.overrideModel = control.overrideModel;
  return next;
}

/** Resolves a task's policy for one request from a validated config (pure: the caller loaded it). */
export function buildPolicySnapshot(
  config: CascadeConfig,
  configVersion: string,
  taskId: string,
  opts: SnapshotOptions,
): PolicySnapshot {
  const configured = config.tasks[taskId];
  if (!configured) throw new UnknownTaskError(taskId, Object.keys(config.tasks));
  const task = withControl(config, configured, opts.control?.task);
  // A request decided under a control override says so in its trace and ledger row.
  const version =
    opts.control && task !== configured ? `${configVersion}+ctl${opts.control.version}` : configVersion;
  const artefact =
    task.calibration !== undefined && Object.hasOwn(opts.calibrations, taskId)
      ? opts.calibrations[taskId]
      : undefined;
  if (task.calibration !== undefined && !artefact) {
    throw new Error(
      `task "${taskId}" names calibration "${task.calibration}", but its artefact was not given: pass the calibrations of the LoadedConfig (loadConfig or validateConfig) as opts.calibrations`,
    );
  }

  const routed: PolicySnapshot = {
    task: taskId,
    route: task.route,
    configVersion: version,
    calibrationVersion: artefact?.version ?? 'none',
    rungs: task.rungs.map((r, i) => {
      const cal = artefact?.rungs[i];
      return {
        ...modelSnapshot(config, r.model, taskId),
        // The artefact's threshold wins over the config's starting point.
        threshold: cal ? (cal.threshold ?? r.threshold ?? null) : (r.threshold ?? null),
        confidence: r.confidence ?? cal?.confidence ?? null,
        calibration: cal ? cal.calibration : { kind: 'identity' },
        judge: r.judge ? modelSnapshot(config, r.judge, taskId) : null,
        ...(cal ? { skip: cal.skip } : {}),
      };
    }),
    responseSchema: task.responseSchema ?? null,
    limits: { ...task.limits },
    costPerAction: config.temporal.costPerAction,
    servedAs: 'routed',
    recordOutcome: true,
    execution: resolveExecution(
      config,
      task,
      task.rungs.flatMap((r) => (r.judge ? [r.model, r.judge] : [r.model])),
    ),
    latencyBudgetMs:
      task.route === 'latency-budget' ? (opts.latencyBudgetMs ?? task.latencyBudgetMs ?? null) : null,
    shadow: null,
    ...(artefact?.classifier
      ? { classifier: { version: artefact.classifier.version, calibrationVersion: artefact.version } }
      : {}),
  };

  const single = (modelId: string, servedAs: ServedAs): PolicySnapshot => ({
    ...routed,
    route: 'static',
    servedAs,
    execution: resolveExecution(config, { ...task, route: 'static' }, [modelId]),
    latencyBudgetMs: null,
    ...(routed.classifier ? { classifier: null } : {}),
    rungs: [
      {
        ...modelSnapshot(config, modelId, taskId),
        threshold: null,
        confidence: null,
        calibration: { kind: 'identity' },
        judge: null,
      },
    ],
  });
  const baseline = task.baseline ?? task.rungs[task.rungs.length - 1]!.model;

  if (task.killSwitch) return single(baseline, 'kill-switch');
  if (task.overrideModel) return single(task.overrideModel, 'override');
  if (unitHash(`rollout:${opts.requestId}`) * 100 < task.rollout) return routed;
  if (task.shadow.enabled && unitHash(`shadow:${opts.requestId}`) < task.shadow.sampleRate) {
    return {
      ...single(baseline, 'baseline-shadow'),
      shadow: {
        policy: routed,
        taskQueue: opts.shadowTaskQueue ?? 'cascade-shadow',
        waitForServedMs: 10 * 60_000,
      },
    };
  }
  return single(baseline, 'baseline-rollout');
}
