/**
 * The calibration artefacts a loaded config's tasks point to, kept beside the validated config
 * object (a WeakMap keyed by it) rather than inside it: the config stays exactly what the file
 * says (and hashes the same), while `buildPolicySnapshot`, which is handed only the config,
 * still finds each task's artefact. src/config/load.ts attaches them when it reads the config.
 */
import type { CascadeConfig } from '../../config/schema';
import type { CalibrationArtefact } from './artefact';

const byConfig = new WeakMap<CascadeConfig, Record<string, CalibrationArtefact>>();

export function attachCalibrations(
  config: CascadeConfig,
  calibrations: Record<string, CalibrationArtefact>,
): void {
  byConfig.set(config, calibrations);
}

/** The artefact of a task of a config loaded by src/config/load.ts, if the task has one. */
export function attachedCalibration(config: CascadeConfig, taskId: string): CalibrationArtefact | undefined {
  const all = byConfig.get(config);
  return all && Object.hasOwn(all, taskId) ? all[taskId] : undefined;
}

/** Every task's artefact, by task id (tasks without one left out): the calibrated baselines. */
export function taskCalibrations(config: CascadeConfig): Record<string, CalibrationArtefact> {
  const out: Record<string, CalibrationArtefact> = {};
  for (const task of Object.keys(config.tasks)) {
    const a = attachedCalibration(config, task);
    if (a) out[task] = a;
  }
  return out;
}
