/**
 * Activities the `cascade` task queue runs as local activities (decisions and checks, cheap
 * and recorded), and the model call that runs on each model's own task queue.
 */
import { checkAnswer } from './check';
import { type ClassifyDeps, createClassifyActivity } from './classify';
import { createEndpointSnapshot, type EndpointSnapshotDeps } from './endpoint-snapshot';

export {
  createModelActivities,
  type ModelActivities,
  type CallModelInput,
  type CallModelResult,
  type CallModelFailureDetails,
} from './call-model';
export type { CheckInput, CheckOutput } from './check';
export type { FoldedCheck } from './folded-steps';
export type { ClassifyDeps, ClassifyInput } from './classify';
export type { EndpointSnapshotDeps, EndpointSnapshotInput, TaskQueueDescriber } from './endpoint-snapshot';
export { createMonitorActivities, type MonitorActivities, type MonitorActivityDeps } from './monitors';
export {
  createRecordActivities,
  type RecordActivities,
  type RecordOutcomeDeps,
  type RecordOutcomeResult,
} from './record-outcome';

/**
 * The local activities, with what they need injected: classify the classifiers of the artefacts
 * the worker loaded; the endpoint snapshot reads the Temporal task-queue stats through the
 * worker's connection and the endpoints' metrics named in the config.
 */
export function createLocalActivities(deps: EndpointSnapshotDeps & ClassifyDeps) {
  return {
    ...createClassifyActivity({ classifiers: deps.classifiers }),
    checkAnswer,
    ...createEndpointSnapshot(deps),
  };
}
export type LocalActivities = ReturnType<typeof createLocalActivities>;
