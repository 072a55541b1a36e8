/**
 * The pre-route decision, as a local activity: recorded in history, so a workflow replays with
 * the decision it made even after the classifier changes.
 *
 * Always: structural features and the rules-v1 complexity score. When the policy snapshot names
 * a classifier (its task has a calibration artefact), also the classifier's P(good enough) per
 * rung and its task-type guess, from the artefact this worker loaded with its config (by
 * version: the weights are not in the workflow input). A worker that has not loaded that
 * version decides on the rules baseline and records why (`classifierFallback`).
 */
import { loadedArtefact } from '../src/calibration/artefact-file';
import type { ChatMessage } from '../src/providers/types';
import { predictWithClassifier } from '../src/router/classifier';
import {
  promptFeatures,
  ruleComplexity,
  RULES_CLASSIFIER_VERSION,
  structuralFeatures,
} from '../src/router/features';
import type { DecisionRecord } from '../src/router/trace';

export interface ClassifyInput {
  task: string;
  messages: ChatMessage[];
  /** The policy's classifier, when its task has a calibration artefact. */
  classifier?: { version: string; calibrationVersion: string } | null;
}

export async function classify(input: ClassifyInput): Promise<DecisionRecord> {
  return decide(input);
}

/** The decision itself, synchronous (benchmarks time it). */
export function decide(input: ClassifyInput): DecisionRecord {
  const t0 = performance.now();
  const entry = input.classifier ? loadedArtefact(input.classifier.calibrationVersion) : undefined;
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
      entry.artefact.ladder,
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
