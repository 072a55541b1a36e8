/**
 * Activities the `cascade` task queue runs as local activities (decisions and checks, cheap
 * and recorded), and the model call that runs on each model's own task queue.
 */
import { checkAnswer } from './check';
import { classify } from './classify';

export { createModelActivities, type ModelActivities, type CallModelInput } from './call-model';
export type { CheckInput, CheckOutput } from './check';
export type { ClassifyInput } from './classify';

export const localActivities = { classify, checkAnswer };
export type LocalActivities = typeof localActivities;
