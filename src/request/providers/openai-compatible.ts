/**
 * A client for any endpoint speaking OpenAI's Chat Completions protocol: OpenAI itself, vLLM,
 * Ollama, llama.cpp, LiteLLM, OpenRouter, and the recorded-model server the tests run against.
 * It makes exactly one HTTP attempt per `call`: the workflow owns retries (docs/architecture.md,
 * "The steps of a request"), so each attempt is its own event in history with its own cost and error class.
 */
import OpenAI from 'openai';
import { type ModelConfig } from '../config/schema';
import { MalformedResponseError } from './failure-class';
import { billedReply } from './billed-reply';
import {
  type ChatMessage,
  type ModelCallRequest,
  type ModelCallResult,
  type ModelProvider,
  type ResponseFormat,
  type TokenLogprob,
  type ToolCall,
  type Usage,
} from './types';
import { attemptContext, sdkAttempt, type AttemptContext, type SdkProviderOptions } from './sdk-attempt';
import { isCount, isObj } from './reply-fields';

export type OpenAICompatibleOptions = SdkProviderOptions;

/**
 * The SDK refuses to start without a credential, but local endpoints (vLLM, Ollama, llama.cpp,
 * the recorded-model server) take none and ignore the Authorization header. A visible
 * placeholder is sent rather than reading OPENAI_API_KEY behind the config's back.
 */
export const NO_KEY_PLACEHOLDER = 'unused';

export class OpenAICompatibleProvider implements ModelProvider {
  private readonly client: OpenAI;
  private readonly attempt: AttemptContext;

  constructor(
    readonly modelId: string,
    private readonly config: ModelConfig,
    opts: OpenAICompatibleOptions = {},
  ) {
    this.attempt = attemptContext(modelId, config, opts);
    this.client = new OpenAI({
      baseURL: config.baseUrl,
      apiKey: opts.apiKey ?? NO_KEY_PLACEHOLDER,
      // Retries belong to the workflow, where each attempt is recorded and backs off durably.
      maxRetries: 0,
      timeout: config.timeoutMs,
      // Everything the SDK would otherwise read from OPENAI_* variables is pinned here: keys and
      // settings come from the config and the registry only (docs/architecture.md, "Contracts").
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      // Failures are classified and reported by the caller; the SDK's console logging is noise.
      logLevel: 'off',
    });
  }

  async call(request: ModelCallRequest): Promise<ModelCallResult> {
    if (request.onDelta) return this.streamed(request, request.onDelta);
    return sdkAttempt(this.attempt, request.signal, async (fetch, signal, started) => {
      const { data, response } = await this.client
        // A client per call only to give its fetch a place to note what it saw; cheap, and
        // connections are pooled by the global dispatcher, not by the client.
        .withOptions({ fetch })
        .chat.completions.create(this.body(request), { signal, headers: request.headers })
        .withResponse();
      return this.result(data as unknown, response.headers, performance.now() - started);
    });
  }

  /**
   * The same call, streamed (`stream: true`, usage in the last chunk): each piece of text goes to
   * `onDelta` as it arrives, and the chunks are put back together into the completion `call`
   * reads, so the result (answer, usage, cost, finish reason, logprobs) is read by the same code.
   * One HTTP attempt, under the same whole-attempt deadline: a stream that stalls or is cut off
   * fails like a body that does (`timeout`, `connection`), after the text already handed on.
   */
  private streamed(request: ModelCallRequest, onDelta: (text: string) => void): Promise<ModelCallResult> {
    return sdkAttempt(this.attempt, request.signal, async (fetch, signal, started) => {
      const { data: stream, response } = await this.client
        .withOptions({ fetch })
        .chat.completions.create(
          { ...this.body(request), stream: true, stream_options: { include_usage: true } },
          { signal, headers: request.headers },
        )
        .withResponse();
      const whole = new ChunkAssembler();
      for await (const chunk of stream) {
        const text = whole.add(chunk as unknown);
        if (text !== '') onDelta(text);
      }
      // A stream that ends without a finish reason was cut short (the connection closed cleanly
      // mid-answer): the text is not the whole answer.
      if (whole.cutShort) {
        throw new MalformedResponseError('the stream ended before its finish chunk', 200);
      }
      return this.result(whole.completion(), response.headers, performance.now() - started);
    });
  }

  private body(request: ModelCallRequest): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
    const p = request.params ?? {};
    // Logprobs only when asked for (by the cascade, for its confidence, or by the caller) and the
    // endpoint supports them: proxies that do not may reject the parameter outright. The larger
    // top_logprobs of the two is asked for; each reader takes what it needs.
    const wantLogprobs =
      this.config.logprobs &&
      (request.logprobs === true || (request.topLogprobs ?? 0) > 0 || p.logprobs === true);
    const top =
      request.topLogprobs !== undefined || p.topLogprobs !== undefined
        ? Math.max(request.topLogprobs ?? 0, p.topLogprobs ?? 0)
        : undefined;
    const tools = request.tools;
    return {
      model: this.config.model ?? this.modelId,
      messages: request.messages.map(toMessage),
      ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(wantLogprobs && { logprobs: true }),
      ...(wantLogprobs && top !== undefined && { top_logprobs: top }),
      ...(request.responseFormat && { response_format: toResponseFormat(request.responseFormat) }),
      ...(p.stop !== undefined && { stop: p.stop }),
      ...(p.seed !== undefined && { seed: p.seed }),
      ...(p.topP !== undefined && { top_p: p.topP }),
      ...(p.frequencyPenalty !== undefined && { frequency_penalty: p.frequencyPenalty }),
      ...(p.presencePenalty !== undefined && { presence_penalty: p.presencePenalty }),
      ...(p.user !== undefined && { user: p.user }),
      ...(p.metadata !== undefined && { metadata: p.metadata }),
      ...(p.store !== undefined && { store: p.store }),
      ...(tools && { tools: tools.definitions }),
      ...(tools?.choice !== undefined && { tool_choice: tools.choice }),
      ...(tools?.parallel !== undefined && { parallel_tool_calls: tools.parallel }),
    };
  }

  private result(data: unknown, headers: Headers, latencyMs: number): ModelCallResult {
    const { body, derived, usage, cost, billed } = billedReply(data, headers, readUsage, this.config.pricing);
    const choices = body['choices'];
    if (!Array.isArray(choices) || choices.length === 0) {
      throw new MalformedResponseError('response has no choices', 200, billed);
    }
    const choice: unknown = choices[0];
    const message = isObj(choice) ? choice['message'] : undefined;
    const toolCalls = isObj(message) ? readToolCalls(message['tool_calls'], billed) : undefined;
    const rawContent = isObj(message) ? message['content'] : undefined;
    // A reply that only calls tools has no text (content null), as OpenAI sends it.
    const content = rawContent == null && toolCalls ? '' : rawContent;
    if (typeof content !== 'string') {
      const refusal =
        isObj(message) && typeof message['refusal'] === 'string' ? ` (refusal: ${message['refusal']})` : '';
      throw new MalformedResponseError(`first choice has no message content${refusal}`, 200, billed);
    }
    const finish = isObj(choice) ? choice['finish_reason'] : undefined;
    return {
      modelId: this.modelId,
      answer: content,
      ...(toolCalls ? { toolCalls } : {}),
      finishReason: typeof finish === 'string' ? finish : null,
      logprobs: readLogprobs(isObj(choice) ? choice['logprobs'] : undefined, billed),
      usage,
      costUsd: cost,
      latencyMs,
      derivedFields: [...derived],
    };
  }
}

function toMessage(m: ChatMessage): OpenAI.Chat.ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: m.content };
    case 'user':
      return { role: 'user', content: m.content };
    case 'assistant':
      return m.toolCalls && m.toolCalls.length > 0
        ? { role: 'assistant', content: m.content === '' ? null : m.content, tool_calls: m.toolCalls }
        : { role: 'assistant', content: m.content };
    case 'tool':
      return { role: 'tool', content: m.content, tool_call_id: m.toolCallId ?? '' };
  }
}

/**
 * `message.tool_calls` as ToolCall[], or undefined when the reply made none. An entry that is
 * not a function call with a name and string arguments fails the call (as unreadable logprobs
 * do): a half-read call would be checked and served wrong. Arguments that are not JSON are kept
 * as they are: that is the check's to judge (schema_invalid), not a malformed response.
 */
function readToolCalls(raw: unknown, billed: Usage & { costUsd: number }): ToolCall[] | undefined {
  if (raw == null) return undefined;
  if (!Array.isArray(raw)) throw new MalformedResponseError('message.tool_calls is not a list', 200, billed);
  if (raw.length === 0) return undefined;
  return raw.map((entry: unknown, i) => {
    const fn = isObj(entry) ? entry['function'] : undefined;
    const name = isObj(fn) ? fn['name'] : undefined;
    const args = isObj(fn) ? fn['arguments'] : undefined;
    const id = isObj(entry) ? entry['id'] : undefined;
    if (typeof name !== 'string' || typeof args !== 'string') {
      throw new MalformedResponseError(
        `tool_calls[${i}] is not { type: "function", function: { name, arguments } }`,
        200,
        billed,
      );
    }
    return {
      id: typeof id === 'string' && id !== '' ? id : `call_${i}`,
      type: 'function' as const,
      function: { name, arguments: args },
    };
  });
}

function toResponseFormat(
  rf: ResponseFormat,
): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming['response_format'] {
  if (rf.type === 'json_object') return { type: 'json_object' };
  return {
    type: 'json_schema',
    json_schema: { name: rf.name, schema: rf.schema, ...(rf.strict !== undefined && { strict: rf.strict }) },
  };
}

function readUsage(raw: unknown): { usage: Usage; missing: boolean } {
  const u = isObj(raw) ? raw : {};
  const tokensIn = u['prompt_tokens'];
  const tokensOut = u['completion_tokens'];
  return {
    usage: { tokensIn: isCount(tokensIn) ? tokensIn : 0, tokensOut: isCount(tokensOut) ? tokensOut : 0 },
    missing: !isCount(tokensIn) || !isCount(tokensOut),
  };
}

function readToken(raw: unknown): { token: string; logprob: number } | null {
  if (!isObj(raw)) return null;
  const { token, logprob } = raw;
  return typeof token === 'string' && typeof logprob === 'number' && Number.isFinite(logprob)
    ? { token, logprob }
    : null;
}

/**
 * `choices[0].logprobs.content` as TokenLogprob[], or null when the endpoint sent none.
 * Entries that are present but unreadable fail the call: a confidence computed from a
 * half-read list would be wrong without anyone knowing.
 */
function readLogprobs(raw: unknown, billed: Usage & { costUsd: number }): TokenLogprob[] | null {
  const content = isObj(raw) ? raw['content'] : undefined;
  if (!Array.isArray(content)) return null;
  return content.map((entry: unknown, i) => {
    const head = readToken(entry);
    const topRaw = isObj(entry) ? (entry['top_logprobs'] ?? []) : [];
    const top = Array.isArray(topRaw) ? topRaw.map(readToken) : [null];
    if (!head || top.some((t) => t === null)) {
      throw new MalformedResponseError(
        `logprobs entry ${i} is not { token, logprob, top_logprobs }`,
        200,
        billed,
      );
    }
    return { ...head, top: top as { token: string; logprob: number }[] };
  });
}

/**
 * Streamed chunks put back together as the `chat.completion` body the endpoint would have sent
 * whole: the first choice's content and tool calls (their arguments concatenated per `index`),
 * its finish reason and logprobs, and the usage of the last chunk. A chunk that is not an object
 * is skipped; no chunk with a choice leaves `choices` empty (a malformed response, as for a body).
 */
export class ChunkAssembler {
  private content: string | null = null;
  private finish: unknown = null;
  private logprobs: unknown[] | null = null;
  private readonly calls: { id?: unknown; type?: unknown; function: { name: string; arguments: string } }[] =
    [];
  private usage: unknown = undefined;
  private sawChoice = false;

  /** Takes one chunk; returns its text ("" when it has none). */
  add(chunk: unknown): string {
    if (!isObj(chunk)) return '';
    if (chunk['usage'] != null) this.usage = chunk['usage'];
    const choices = chunk['choices'];
    const choice: unknown = Array.isArray(choices) ? choices[0] : undefined;
    if (!isObj(choice)) return '';
    this.sawChoice = true;
    if (choice['finish_reason'] != null) this.finish = choice['finish_reason'];
    const lp = choice['logprobs'];
    if (isObj(lp) && Array.isArray(lp['content']))
      this.logprobs = [...(this.logprobs ?? []), ...lp['content']];
    const delta = choice['delta'];
    if (!isObj(delta)) return '';
    const rawCalls = delta['tool_calls'];
    if (Array.isArray(rawCalls)) {
      for (const raw of rawCalls as unknown[]) {
        if (!isObj(raw)) continue;
        const index = typeof raw['index'] === 'number' ? raw['index'] : this.calls.length;
        const fn = isObj(raw['function']) ? raw['function'] : {};
        const call = (this.calls[index] ??= { function: { name: '', arguments: '' } });
        if (raw['id'] != null) call.id = raw['id'];
        if (raw['type'] != null) call.type = raw['type'];
        if (typeof fn['name'] === 'string') call.function.name += fn['name'];
        if (typeof fn['arguments'] === 'string') call.function.arguments += fn['arguments'];
      }
    }
    const text = delta['content'];
    if (typeof text !== 'string' || text === '') return '';
    this.content = (this.content ?? '') + text;
    return text;
  }

  /** Some choice came, but none said how it finished: the stream stopped mid-answer. */
  get cutShort(): boolean {
    return this.sawChoice && this.finish === null;
  }

  completion(): Record<string, unknown> {
    const calls = this.calls.filter((c) => c !== undefined);
    return {
      choices: this.sawChoice
        ? [
            {
              index: 0,
              message: {
                role: 'assistant',
                // A reply of tool calls alone has no text (null), as a whole body would say.
                content: this.content ?? (calls.length > 0 ? null : ''),
                ...(calls.length > 0 ? { tool_calls: calls } : {}),
              },
              finish_reason: this.finish,
              logprobs: this.logprobs ? { content: this.logprobs } : null,
            },
          ]
        : [],
      ...(this.usage !== undefined ? { usage: this.usage } : {}),
    };
  }
}
