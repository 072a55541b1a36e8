/**
 * Question (d): can the answer be validated structurally? With a response schema, the schema is a
 * rule of its own (direct-small: the small model's valid answers stand, invalid ones escalate),
 * weighed on every labelled row as a fixed rule, with no confidence or calibration behind it.
 */
import { fixedRulePolicy } from '../fixed-rule';
import { pct } from '../text';
import type { TaskAdvice } from '../types';
import { ruleOptions, type TaskContext } from './context';

export interface StructuralFindings {
  answer: TaskAdvice['structural'];
  /** Direct-small keeps the target at its exact bound, for less than the large model alone. */
  directClears: boolean;
}

export function structuralQuestion(c: TaskContext, labelledOk: boolean): StructuralFindings {
  const { ev, opts, rows, small, large, schema, routeConfidence } = c;
  const validFlags = ev.smallSchemaValid;
  const directSmall =
    schema && labelledOk && validFlags.length === rows.length && validFlags.every((v) => v !== null)
      ? fixedRulePolicy(rows, small, large, (i) => validFlags[i] === true, ruleOptions(c))
      : null;
  const directClears =
    directSmall !== null && directSmall.lowerBound >= opts.target && directSmall.relativeCost < 1;
  const note = !schema
    ? 'no response schema configured for this task: structural validation is not available, quality must come from confidence or labels'
    : `schema configured; valid answers: ${ev.models.map((m) => `${m.model} ${pct(m.schemaValidRate)}`).join(', ')}` +
      (directSmall
        ? `; serving the small model when its answer is valid (direct-small) keeps ${pct(directSmall.relativeQuality)} (exact bound ${pct(directSmall.lowerBound)} at ${pct(routeConfidence)}) at ${pct(directSmall.relativeCost)} cost`
        : '');
  return {
    answer: {
      schema,
      validity: ev.models.map((m) => ({ model: m.model, rate: m.schemaValidRate })),
      directSmall,
      note,
    },
    directClears,
  };
}
