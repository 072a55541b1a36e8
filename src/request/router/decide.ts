/**
 * The pre-route decision, pure: structural features and the rules-v1 complexity score always;
 * and, when the policy snapshot names a classifier (its task has a calibration artefact), the
 * classifier's P(good enough) per rung and its task-type guess. The weights are not in the
 * workflow input: the caller hands over a lookup of the classifiers it holds, by artefact
 * version (the worker's, built from the artefacts of the config it loaded:
 * src/request/config-file/artefact-file.ts `classifierLookup`). A lookup that does not hold that version
 * (or none) decides on the rules baseline and says why (`classifierFallback`).
 *
 * The classify activity (src/temporal/activities/classify.ts), the lean model call that folds it in
 * (src/temporal/activities/call-model.ts), `cascade calibrate`'s feature snapshot and the benchmarks all run
 * this one function.
 */
import type { ChatMessage } from '../providers/types';
import { type CompiledClassifier, predictWithClassifier } from './classifier';
import { promptFeatures, ruleComplexity, RULES_CLASSIFIER_VERSION, structuralFeatures } from './features';
import type { DecisionRecord } from './trace';

export interface ClassifyInput {
  task: string;
  messages: ChatMessage[];
  /** The policy's classifier, when its task has a calibration artefact. */
  classifier?: { version: string; calibrationVersion: string } | null;
}

/** A loaded artefact's classifier, compiled, and the ladder its heads predict for. */
export interface LoadedClassifier {
  ladder: readonly string[];
  classifier: CompiledClassifier | null;
}

/** The classifiers a process holds, by calibration artefact version. */
export type ClassifierLookup = (calibrationVersion: string) => LoadedClassifier | undefined;

/** The decision itself, synchronous (benchmarks time it). */
export function decide(input: ClassifyInput, classifiers?: ClassifierLookup): DecisionRecord {
  const t0 = performance.now();
  const entry =
    input.classifier && classifiers ? classifiers(input.classifier.calibrationVersion) : undefined;
  const compiled =
    entry?.classifier && entry.classifier.model.version === input.classifier?.version
      ? entry.classifier
      : null;
  // The hashed n-grams only when a classifier will read them: the cold start stays cheap.
  const features = compiled
    ? promptFeatures(input.messages, compiled.model.hashing)
    : { structural: structuralFeatures(input.messages), lexical: null };
  const complexity = ruleComplexity(features.structural);
  const record: DecisionRecord = {
    classifierVersion: RULES_CLASSIFIER_VERSION,
    taskType: input.task,
    complexity,
    features: { ...features.structural },
    decisionMs: 0,
  };
  if (compiled && entry && features.lexical) {
    const prediction = predictWithClassifier(
      compiled,
      { structural: features.structural, lexical: features.lexical },
      entry.ladder,
    );
    record.classifierVersion = compiled.model.version;
    // Unrounded: the skip rule compares exactly what the offline search compared.
    record.predicted = prediction.rungs;
    if (prediction.taskType) {
      record.predictedTaskType = { label: prediction.taskType.label, p: round4(prediction.taskType.p) };
    }
  } else if (input.classifier) {
    record.classifierFallback = entry
      ? `calibration ${input.classifier.calibrationVersion} has no classifier ${input.classifier.version}`
      : `calibration ${input.classifier.calibrationVersion} is not loaded in this worker (reload its config)`;
  }
  record.decisionMs = Math.round((performance.now() - t0) * 1000) / 1000;
  return record;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
