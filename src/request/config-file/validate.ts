/**
 * Rules that span fields, checked after the shape is right, each reported at the exact path
 * a person has to edit: a rung names a model that exists, a route has the rungs it needs,
 * a response schema compiles, a confidence source is one the endpoint can give.
 */
import { compileJsonSchema, InvalidJsonSchemaError } from '../router/json-schema';
import { type ConfigIssue, formatPath } from '../config/errors';
import { type CascadeConfig, type TaskConfig } from '../config/schema';

const LOGPROB_SOURCES = new Set(['answer_logprob', 'mean_logprob', 'min_logprob']);
/**
 * Anthropic returns no token logprobs at all: not for the answer, and not for a self-check's
 * yes/no reply either (P(yes) is read from its logprobs), so a self_check rung there could never
 * pass and would pay two extra calls per request to escalate every one.
 */
const NEEDS_LOGPROBS_ON_ANTHROPIC = new Set([...LOGPROB_SOURCES, 'self_check']);

export function crossFieldIssues(config: CascadeConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const known = Object.keys(config.models);
  const add = (path: PropertyKey[], message: string) => issues.push({ path: formatPath(path), message });

  for (const [taskId, task] of Object.entries(config.tasks)) {
    const at = ['tasks', taskId];
    task.rungs.forEach((rung, i) => {
      const model = config.models[rung.model];
      if (!model) {
        add(
          [...at, 'rungs', i, 'model'],
          `unknown model "${rung.model}"; known models: ${known.join(', ') || '(none)'}`,
        );
      } else if (
        rung.confidence &&
        NEEDS_LOGPROBS_ON_ANTHROPIC.has(rung.confidence) &&
        model.provider === 'anthropic'
      ) {
        add(
          [...at, 'rungs', i, 'confidence'],
          `task "${taskId}", rung ${i}: confidence "${rung.confidence}" needs token logprobs, but model ` +
            `"${rung.model}" is an Anthropic model (provider: anthropic) and Anthropic returns no logprobs; ` +
            'use judge (a judge model scores the answer) or a schema check',
        );
      } else if (rung.confidence && LOGPROB_SOURCES.has(rung.confidence) && !model.logprobs) {
        add(
          [...at, 'rungs', i, 'confidence'],
          `"${rung.confidence}" needs logprobs, but model "${rung.model}" has logprobs: false; use self_check`,
        );
      }
    });
    task.rungs.forEach((rung, i) => {
      if (rung.confidence === 'judge' && !rung.judge)
        add([...at, 'rungs', i, 'judge'], 'a judge confidence needs a judge model');
      if (rung.judge && !config.models[rung.judge]) {
        add([...at, 'rungs', i, 'judge'], `unknown model "${rung.judge}"; known models: ${known.join(', ')}`);
      }
    });
    for (const field of ['baseline', 'overrideModel'] as const) {
      const id = task[field];
      if (id !== undefined && !config.models[id]) {
        add([...at, field], `unknown model "${id}"; known models: ${known.join(', ')}`);
      }
    }
    routeIssues(task).forEach(([path, message]) => add([...at, ...path], message));
    if (task.responseSchema !== undefined) {
      try {
        compileJsonSchema(task.responseSchema);
      } catch (err) {
        if (!(err instanceof InvalidJsonSchemaError)) throw err;
        add([...at, 'responseSchema'], `invalid JSON Schema: ${err.message}`);
      }
    }
    if (task.limits.maxBackoffMs < task.limits.initialBackoffMs) {
      add([...at, 'limits', 'maxBackoffMs'], 'must be at least initialBackoffMs');
    }
  }

  if (config.defaultTask !== undefined && !config.tasks[config.defaultTask]) {
    add(
      ['defaultTask'],
      `unknown task "${config.defaultTask}"; known tasks: ${Object.keys(config.tasks).join(', ')}`,
    );
  }
  return issues;
}

/** What each route needs of its rungs (docs/architecture.md, "The steps of a request"). */
function routeIssues(task: TaskConfig): [PropertyKey[], string][] {
  const out: [PropertyKey[], string][] = [];
  const n = task.rungs.length;
  switch (task.route) {
    case 'static':
      if (n !== 1) out.push([['rungs'], `route "static" serves one model; got ${n} rungs`]);
      break;
    case 'direct-small':
      if (task.responseSchema === undefined) {
        out.push([
          ['responseSchema'],
          'route "direct-small" validates the answer against a JSON Schema; none given',
        ]);
      }
      break;
    case 'cascade':
      if (n < 2) out.push([['rungs'], `route "cascade" needs at least 2 rungs; got ${n}`]);
      // A calibration artefact supplies thresholds (and confidence sources) itself.
      if (task.calibration === undefined) {
        task.rungs.slice(0, -1).forEach((r, i) => {
          if (r.threshold === undefined)
            out.push([['rungs', i, 'threshold'], 'required on every rung but the last (or a calibration)']);
          if (r.confidence === undefined)
            out.push([['rungs', i, 'confidence'], 'required on every rung but the last (or a calibration)']);
        });
      }
      break;
    case 'latency-budget':
      if (n < 2)
        out.push([['rungs'], `route "latency-budget" chooses among at least 2 candidates; got ${n}`]);
      if (task.execution === 'lean')
        out.push([
          ['execution'],
          'route "latency-budget" reads the per-model task queues, so its calls run durable; remove `execution: lean`',
        ]);
      break;
  }
  return out;
}
