/**
 * The control plane's state (docs/architecture.md, "Operational control and shadow mode"): per
 * task, a kill switch, a rollout percentage and a model override set at run time with `cascade
 * control`, held by the `cascade-control` workflow (src/temporal/workflows/control.ts) in its memo, and read by
 * every process that starts requests (src/temporal/control-plane.ts). An override here wins over
 * the same field in the config file, for new requests, until it is cleared.
 *
 * Pure: the control workflow folds changes with it, and the policy builder reads it.
 */
/** The control workflow's id (one per namespace), its memo key, and its signal's name. */
export const CONTROL_WORKFLOW_ID = 'cascade-control';
export const CONTROL_MEMO_KEY = 'cascadeControl';
export const CONTROL_CHANGE_SIGNAL = 'controlChange';

export interface TaskControl {
  killSwitch?: boolean;
  /** 0..100. */
  rollout?: number;
  /** A model id of the config; null clears an override the config file sets. */
  overrideModel?: string | null;
}

export interface ControlState {
  /** Bumped by every change: traces name it (`configVersion` ends `+ctl<version>`). */
  version: number;
  tasks: Record<string, TaskControl & { setAt: number; by?: string }>;
}

/** One change: set fields of a task's control, or clear it (`clear: true`) back to the config file. */
export interface ControlChange {
  task: string;
  set?: TaskControl;
  clear?: boolean;
  by?: string;
  at: number;
}

export const EMPTY_CONTROL: ControlState = { version: 0, tasks: {} };

export function applyChange(state: ControlState, change: ControlChange): ControlState {
  const tasks = { ...state.tasks };
  if (change.clear) delete tasks[change.task];
  else {
    tasks[change.task] = {
      ...tasks[change.task],
      ...change.set,
      setAt: change.at,
      ...(change.by !== undefined ? { by: change.by } : {}),
    };
  }
  return { version: state.version + 1, tasks };
}

/** What a change must look like; the first problem, or null. */
export function controlChangeProblem(change: ControlChange): string | null {
  if (typeof change.task !== 'string' || change.task === '') return 'task: a task id is required';
  if (change.clear) return null;
  const set = change.set ?? {};
  if (Object.keys(set).length === 0)
    return 'nothing to set: give a kill switch, a rollout or a model override';
  if (set.killSwitch !== undefined && typeof set.killSwitch !== 'boolean') return 'killSwitch: true or false';
  if (set.rollout !== undefined && !(Number.isFinite(set.rollout) && set.rollout >= 0 && set.rollout <= 100))
    return 'rollout: a percentage from 0 to 100';
  if (set.overrideModel !== undefined && set.overrideModel !== null && typeof set.overrideModel !== 'string')
    return 'overrideModel: a model id, or null to clear';
  return null;
}
