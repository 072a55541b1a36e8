/**
 * The pre-route decision, as a local activity: recorded in history, so a workflow replays with
 * the decision it made even after the classifier changes. The decision itself is pure and lives
 * in src/request/router/decide.ts; the activity hands it the classifiers of the artefacts its worker
 * loaded (by version: the weights are not in the workflow input). A worker that does not hold
 * that version decides on the rules baseline and records why (`classifierFallback`).
 */
import { type ClassifierLookup, type ClassifyInput, decide } from '../../request/router/decide';
import type { DecisionRecord } from '../../request/router/trace';

export type { ClassifyInput };

export interface ClassifyDeps {
  /** The classifiers of the artefacts this worker loaded, by version (none: the rules baseline). */
  classifiers?: ClassifierLookup;
}

export function createClassifyActivity(deps: ClassifyDeps = {}) {
  async function classify(input: ClassifyInput): Promise<DecisionRecord> {
    return decide(input, deps.classifiers);
  }
  return { classify };
}
