/**
 * Turns a validated chat-completions request into the recorded reply to serve (or the reason there
 * is none). No I/O: the server does the waiting and the writing.
 *
 * A request is looked up by (model, sha256(system + last user message)). When that misses and the
 * last user message is a self-check of an original prompt (src/request/router/self-check.ts), the
 * original prompt's recorded self-check is served instead, if the model has one for that answer.
 * A judge request (src/request/router/judge.ts form) is an ordinary lookup: recorded judgements are indexed
 * under that form (mt-bench.ts); a miss says why no judgement of that (question, answer) is recorded.
 * Nothing is invented: what had to be derived is listed in `derived` (the x-recorded-derived header).
 */
import { JUDGE_SYSTEM, parseJudgePrompt } from '../../request/router/judge';
import { parseSelfCheckPrompt } from '../../request/router/self-check';
import { promptKey, type RecordedDataset, type RecordedReply, type RecordedToolCall } from './dataset';
import { answerLogprobs, selfCheckVerdict, type ChoiceLogprobs } from './logprobs';
import { messageText, type ChatCompletionRequest } from './openai-schema';

export interface AnswerSettings {
  /** Used when a row has no latency_ms (flagged `latency`). */
  defaultLatencyMs: number;
  /** Latency of a self-check, which no source records (flagged `latency`). */
  selfCheckLatencyMs: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ServedAnswer {
  kind: 'answer';
  /** The real (recorded) model name, after alias resolution. */
  model: string;
  reply: RecordedReply;
  content: string;
  /** A recorded tool-call reply's calls (content is then ""). */
  toolCalls?: RecordedToolCall[];
  /** Set when the request's max_tokens cut the recorded text. */
  finishReason?: 'length';
  /** The stop sequence the recorded text was cut before, when `stop` cut it. */
  stoppedAt?: string;
  logprobs: ChoiceLogprobs | null;
  usage: Usage;
  /** Recorded (or derived) latency before latencyScale. */
  latencyMs: number;
  /** Recorded cost of this exact call, when there is one. */
  costUsd: number | undefined;
  derived: string[];
  selfCheck: boolean;
}

export interface NoAnswer {
  kind: 'not_found' | 'bad_request';
  message: string;
  param: string | null;
}

export type Resolution = ServedAnswer | NoAnswer;

/** Token estimate for text without a recorded count: ~4 characters a token, at least 1. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function resolveCompletion(
  dataset: RecordedDataset,
  request: ChatCompletionRequest,
  settings: AnswerSettings,
): Resolution {
  // The recorded rows have at most one system message; several are joined with newlines.
  const system = request.messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map(messageText)
    .join('\n');
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  if (!lastUser) {
    return { kind: 'bad_request', param: 'messages', message: "'messages' must contain a user message" };
  }
  const user = messageText(lastUser);
  const key = promptKey(system, user);
  const model = dataset.resolveModel(request.model);
  if (model === undefined) {
    return {
      kind: 'not_found',
      param: 'model',
      message: `model ${JSON.stringify(request.model)} is not recorded in the loaded data files (see GET /v1/models); prompt key ${key}`,
    };
  }
  const allText = request.messages.map(messageText).join('');
  const wantLogprobs = request.logprobs === true;

  const reply = dataset.lookup(model, key);
  const served = reply
    ? servedAnswer(model, reply, allText, wantLogprobs, settings)
    : selfCheckOrNotFound(dataset, model, system, user, key, allText, wantLogprobs, settings);
  if (served.kind === 'answer' && served.logprobs && typeof request.top_logprobs === 'number') {
    served.logprobs = limitTopLogprobs(served.logprobs, request.top_logprobs);
  }
  if (served.kind !== 'answer') return served;
  if (served.reply.toolCalls && !served.selfCheck) {
    if (!request.tools || request.tools.length === 0) {
      return {
        kind: 'bad_request',
        param: 'tools',
        message: `the recorded reply of model ${JSON.stringify(model)} to this prompt is a tool call, and the request offers no tools`,
      };
    }
    served.toolCalls = served.reply.toolCalls;
  }
  const budget = request.max_completion_tokens ?? request.max_tokens;
  if (budget != null && !served.toolCalls) applyMaxTokens(served, budget);
  if (request.stop != null)
    applyStop(served, typeof request.stop === 'string' ? [request.stop] : request.stop);
  return served;
}

/**
 * `max_tokens`, as a model applies it: a recorded answer longer than the budget ends there, with
 * `finish_reason: "length"`. The recording has no token boundaries, so the text is cut at the
 * same share of its characters as the budget is of its recorded tokens (flagged `content` and
 * `usage.completion_tokens`).
 */
function applyMaxTokens(served: ServedAnswer, budget: number): void {
  const recorded = served.usage.completion_tokens;
  if (recorded <= budget) return;
  served.content = served.content.slice(0, Math.floor((served.content.length * budget) / recorded));
  served.usage = usage(served.usage.prompt_tokens, budget);
  served.finishReason = 'length';
  for (const field of ['content', 'usage.completion_tokens']) {
    if (!served.derived.includes(field)) served.derived.push(field);
  }
}

/**
 * `stop`, as a model applies it: the text ends before the first occurrence of any stop sequence
 * (which is not included). The recording's text is cut, so the change is flagged `content`.
 */
function applyStop(served: ServedAnswer, stops: string[]): void {
  let cut = -1;
  let by = '';
  for (const stop of stops) {
    if (stop === '') continue;
    const at = served.content.indexOf(stop);
    if (at >= 0 && (cut < 0 || at < cut)) {
      cut = at;
      by = stop;
    }
  }
  if (cut < 0) return;
  served.content = served.content.slice(0, cut);
  served.stoppedAt = by;
  // The text now ends before the budget did.
  delete served.finishReason;
  if (!served.derived.includes('content')) served.derived.push('content');
}

function selfCheckOrNotFound(
  dataset: RecordedDataset,
  model: string,
  system: string,
  user: string,
  key: string,
  allText: string,
  wantLogprobs: boolean,
  settings: AnswerSettings,
): Resolution {
  const check = parseSelfCheckPrompt(user);
  if (check) return selfCheckAnswer(dataset, model, system, check, allText, user, wantLogprobs, settings);
  if (parseJudgePrompt(user)) return judgeNotFound(dataset, model, system, key);
  return {
    kind: 'not_found',
    param: 'messages',
    message: `no recorded reply of model ${JSON.stringify(model)} for this prompt (key ${key} = sha256(system + last user message))`,
  };
}

/** Why a judge request in the documented form has no recorded judgement to serve. */
function judgeNotFound(dataset: RecordedDataset, model: string, system: string, key: string): NoAnswer {
  const judges = dataset.judgeModels();
  let why: string;
  if (!judges.includes(model)) {
    why =
      judges.length > 0
        ? `the recorded judges are ${judges.map((j) => JSON.stringify(j)).join(', ')}; ${JSON.stringify(model)} judged nothing`
        : 'no loaded data file records a judge (an MT-Bench judgements file does)';
  } else if (system !== JUDGE_SYSTEM) {
    why =
      'judgements are recorded under the system message JUDGE_SYSTEM of src/request/router/judge.ts, and this request has another';
  } else {
    why =
      "this answer to this question was never judged (only a recorded model's own turn-1 answer, exactly, was)";
  }
  return {
    kind: 'not_found',
    param: 'messages',
    message: `no recorded judgement by model ${JSON.stringify(model)} for this prompt (key ${key} = sha256(system + last user message)): ${why}`,
  };
}

/**
 * An explicit `top_logprobs: n` keeps the n most likely alternatives, as OpenAI does. Without it
 * every recorded alternative is served (OpenAI would send none), so a client that only sets
 * `logprobs: true` can still read P(yes) of a self-check.
 */
function limitTopLogprobs(logprobs: ChoiceLogprobs, n: number): ChoiceLogprobs {
  return {
    ...logprobs,
    content: logprobs.content.map((entry) => ({ ...entry, top_logprobs: entry.top_logprobs.slice(0, n) })),
  };
}

function servedAnswer(
  model: string,
  reply: RecordedReply,
  allText: string,
  wantLogprobs: boolean,
  settings: AnswerSettings,
): ServedAnswer {
  const derived: string[] = [];
  let promptTokens = reply.tokensIn;
  if (promptTokens === undefined) {
    promptTokens = estimateTokens(allText);
    derived.push('usage.prompt_tokens');
  }
  let completionTokens = reply.tokensOut;
  if (completionTokens === undefined) {
    completionTokens = estimateTokens(reply.answer);
    derived.push('usage.completion_tokens');
  }
  let latencyMs = reply.latencyMs;
  if (latencyMs === undefined) {
    latencyMs = settings.defaultLatencyMs;
    derived.push('latency');
  }
  let logprobs: ChoiceLogprobs | null = null;
  if (wantLogprobs) {
    const built = answerLogprobs(reply);
    logprobs = built.logprobs;
    derived.push(...built.derived);
  }
  return {
    kind: 'answer',
    model,
    reply,
    content: reply.answer,
    logprobs,
    usage: usage(promptTokens, completionTokens),
    latencyMs,
    costUsd: reply.costUsd,
    derived,
    selfCheck: false,
  };
}

function selfCheckAnswer(
  dataset: RecordedDataset,
  model: string,
  system: string,
  check: { prompt: string; answer: string },
  allText: string,
  user: string,
  wantLogprobs: boolean,
  settings: AnswerSettings,
): Resolution {
  const originalKey = promptKey(system, check.prompt);
  const original = dataset.lookup(model, originalKey);
  const notFound = (why: string): NoAnswer => ({
    kind: 'not_found',
    param: 'messages',
    message: `no recorded self-check of model ${JSON.stringify(model)} for this prompt (original prompt key ${originalKey}): ${why}`,
  });
  if (!original) return notFound('the original prompt is not recorded for this model');
  if (original.confidenceKind !== 'self_check_log_p_yes') {
    return notFound(
      `the model's recorded confidence for it is ${original.confidenceKind ? `'${original.confidenceKind}'` : 'absent'}, not 'self_check_log_p_yes'`,
    );
  }
  if (check.answer.trim() !== original.answer.trim()) {
    return notFound("the proposed answer is not the model's own recorded answer, the only one it checked");
  }
  if (original.rawConfidence === undefined) return notFound('the recorded self-check has no log P(yes)');

  const verdict = selfCheckVerdict(original.rawConfidence);
  // The recording has the original call's usage; the self-check adds the proposed answer and the
  // question to the prompt and answers with one token, so its usage is estimated and flagged.
  const extra = Math.max(0, user.length - check.prompt.length);
  const promptTokens =
    original.tokensIn !== undefined ? original.tokensIn + Math.ceil(extra / 4) : estimateTokens(allText);
  const derived = ['content', 'usage.prompt_tokens', 'usage.completion_tokens', 'latency'];
  if (wantLogprobs) derived.push(...verdict.derived);
  return {
    kind: 'answer',
    model,
    reply: original,
    content: verdict.content,
    logprobs: wantLogprobs ? verdict.logprobs : null,
    usage: usage(promptTokens, 1),
    latencyMs: settings.selfCheckLatencyMs,
    // The recorded cost is the original call's, not the self-check's: none is reported.
    costUsd: undefined,
    derived,
    selfCheck: true,
  };
}

function usage(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
