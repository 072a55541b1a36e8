/**
 * Which of a caller's chat-completions parameters each provider can honour, and the refusal of a
 * request whose policy would call a model that cannot honour one of them. A cascade answers from
 * whichever rung stands, so a parameter is honoured only if every rung that may answer honours
 * it: one that a rung would drop silently would make the answer depend on which rung served.
 * Checked when the request is prepared (nothing starts), against the snapshot's rungs (and its
 * shadow's), so a kill switch or an override is checked with the model it will really call.
 */
import type { ModelConfig } from '../config/schema';
import type { PolicySnapshot } from './policy';
import type { CallerParams, ChatMessage, ToolSpec } from '../providers/types';

export interface ParamProblem {
  /** The library request's field (`topP`, `tools`); the gateway names OpenAI's parameter. */
  path: string;
  message: string;
}

/** The Messages API has no such field: seed, penalties, logprobs, arbitrary metadata, store. */
const ANTHROPIC_UNSUPPORTED: [keyof CallerParams, string][] = [
  ['seed', 'seed'],
  ['frequencyPenalty', 'frequencyPenalty'],
  ['presencePenalty', 'presencePenalty'],
  ['logprobs', 'logprobs'],
  ['topLogprobs', 'topLogprobs'],
  ['metadata', 'providerMetadata'],
  ['store', 'store'],
];

export function unhonourableParam(
  request: { messages: ChatMessage[]; params?: CallerParams; tools?: ToolSpec },
  policy: PolicySnapshot,
  models: Readonly<Record<string, ModelConfig>>,
): ParamProblem | null {
  const snapshots = [policy, ...(policy.shadow ? [policy.shadow.policy] : [])];
  const toolTurns = request.messages.some((m) => m.role === 'tool' || (m.toolCalls?.length ?? 0) > 0);
  for (const snapshot of snapshots) {
    for (const [i, rung] of snapshot.rungs.entries()) {
      const config = models[rung.model];
      if (!config) continue;
      const p = request.params ?? {};
      if (config.provider === 'anthropic') {
        for (const [field, path] of ANTHROPIC_UNSUPPORTED) {
          if (p[field] === undefined || p[field] === false) continue;
          return {
            path,
            message: `model "${rung.model}" (a rung of task "${snapshot.task}") speaks Anthropic's Messages API, which has no equivalent: the answer would depend on which rung served it`,
          };
        }
      } else if (p.logprobs && !config.logprobs) {
        return {
          path: 'logprobs',
          message: `model "${rung.model}" (a rung of task "${snapshot.task}") has an endpoint that returns no logprobs (config logprobs: false)`,
        };
      }
      const scored = rung.confidence === 'self_check' || rung.confidence === 'judge';
      if (
        (request.tools || toolTurns) &&
        scored &&
        snapshot.route === 'cascade' &&
        i < snapshot.rungs.length - 1
      ) {
        return {
          path: request.tools ? 'tools' : 'messages',
          message: `task "${snapshot.task}" scores rung ${i + 1}'s answer with ${rung.confidence}, which reads a text answer: a tool call cannot be scored that way (use answer_logprob rungs or direct-small, where a tool call is checked against its tool's schema)`,
        };
      }
    }
  }
  return null;
}
