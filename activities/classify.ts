/**
 * The pre-route decision, as a local activity: recorded in history, so a workflow replays with
 * the decision it made even after the classifier changes.
 */
import type { ChatMessage } from '../src/providers/types';
import { ruleComplexity, RULES_CLASSIFIER_VERSION, structuralFeatures } from '../src/router/features';
import type { DecisionRecord } from '../src/router/trace';

export interface ClassifyInput {
  task: string;
  messages: ChatMessage[];
}

export async function classify(input: ClassifyInput): Promise<DecisionRecord> {
  const t0 = performance.now();
  const features = structuralFeatures(input.messages);
  const complexity = ruleComplexity(features);
  const decisionMs = performance.now() - t0;
  return {
    classifierVersion: RULES_CLASSIFIER_VERSION,
    taskType: input.task,
    complexity,
    features: { ...features },
    decisionMs: Math.round(decisionMs * 1000) / 1000,
  };
}
