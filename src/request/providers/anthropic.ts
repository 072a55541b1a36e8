/**
 * A client for Anthropic's Messages API (`POST /v1/messages`), on the official SDK: Anthropic
 * itself, and the recorded-model server's Anthropic route the tests run against. Like the
 * OpenAI-compatible client it makes exactly one HTTP attempt per `call` (the workflow owns
 * retries, docs/architecture.md "The steps of a request"), and its failures go through the same classification
 * (classify.ts), so a 429 here is the same `rate_limited` with the same Retry-After handling.
 *
 * Protocol differences it bridges:
 * - system messages go to the request's `system` field (joined with newlines), not `messages`;
 * - `max_tokens` is required: the request's value, else DEFAULT_MAX_TOKENS;
 * - a JSON Schema response format becomes `output_config.format` (structured outputs); there is
 *   no `json_object` mode, so that one is left to the task's schema check;
 * - Anthropic returns no token logprobs: `logprobs` is always null, and config validation rejects
 *   logprob confidence sources on these models;
 * - the caller's `stop` is `stop_sequences`, `top_p` is `top_p`, `user` is `metadata.user_id`;
 * - tools: OpenAI function definitions become `tools` (`parameters` is `input_schema`),
 *   `tool_choice` none/auto/required/a function becomes none/auto/any/tool, and
 *   `parallel_tool_calls: false` is `disable_parallel_tool_use`; an assistant turn's tool calls
 *   are `tool_use` blocks, tool messages `tool_result` blocks, and the reply's `tool_use` blocks
 *   come back as tool calls (their `input` as JSON text);
 * - the answer is the text of the reply's `text` content blocks; usage is `input_tokens` (cache
 *   reads and writes included, when the endpoint reports them) and `output_tokens`.
 *
 * `baseUrl` is the API root (`https://api.anthropic.com`); a trailing `/v1`, as the OpenAI
 * convention of the config has it, is accepted and dropped, since the SDK adds `/v1/messages`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { type ModelConfig } from '../config/schema';
import { MalformedResponseError } from './failure-class';
import { billedReply } from './billed-reply';
import { NO_KEY_PLACEHOLDER } from './openai-compatible';
import {
  type ChatMessage,
  type ModelCallRequest,
  type ModelCallResult,
  type ModelProvider,
  type ResponseFormat,
  type ToolCall,
  type ToolSpec,
  type Usage,
} from './types';
import { attemptContext, sdkAttempt, type AttemptContext, type SdkProviderOptions } from './sdk-attempt';
import { isCount, isObj } from './reply-fields';

export type AnthropicOptions = SdkProviderOptions;

/**
 * `max_tokens` when the request sets none. Anthropic requires the field; 4096 is enough for the
 * answers a routed task returns (labels, JSON objects, paragraphs) and within every current
 * model's output limit. A task that needs longer answers passes its own `maxTokens`.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/** The SDK's base URL for a configured `baseUrl`: the API root, without a trailing `/v1`. */
export function anthropicBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

export class AnthropicProvider implements ModelProvider {
  private readonly client: Anthropic;
  private readonly attempt: AttemptContext;

  constructor(
    readonly modelId: string,
    private readonly config: ModelConfig,
    opts: AnthropicOptions = {},
  ) {
    this.attempt = attemptContext(modelId, config, opts);
    this.client = new Anthropic({
      baseURL: anthropicBaseUrl(config.baseUrl),
      // Always a credential: without one the SDK would read ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN
      // or a credentials profile behind the config's back. Keyless endpoints (the recorded-model
      // server, a local proxy) get a visible placeholder.
      apiKey: opts.apiKey ?? NO_KEY_PLACEHOLDER,
      // Retries belong to the workflow, where each attempt is recorded and backs off durably.
      maxRetries: 0,
      timeout: config.timeoutMs,
      // Pinned rather than read from ANTHROPIC_WEBHOOK_SIGNING_KEY / ANTHROPIC_LOG.
      webhookKey: null,
      // Failures are classified and reported by the caller; the SDK's console logging is noise.
      logLevel: 'off',
    });
  }

  async call(request: ModelCallRequest): Promise<ModelCallResult> {
    return sdkAttempt(this.attempt, request.signal, async (fetch, signal, started) => {
      const { data, response } = await this.client
        // A client per call only to give its fetch a place to note what it saw; cheap, and
        // connections are pooled by the global dispatcher, not by the client.
        .withOptions({ fetch })
        .messages.create(this.body(request), { signal, headers: request.headers })
        .withResponse();
      return this.result(data as unknown, response.headers, performance.now() - started);
    });
  }

  private body(request: ModelCallRequest): Anthropic.MessageCreateParamsNonStreaming {
    const system = request.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n');
    const format = request.responseFormat ? toOutputFormat(request.responseFormat) : undefined;
    return {
      model: this.config.model ?? this.modelId,
      max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
      messages: toMessages(request.messages.filter((m) => m.role !== 'system')),
      ...(system !== '' && { system }),
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(format && { output_config: { format } }),
      // The caller's parameters the Messages API has (the rest are refused before a request
      // starts: src/request/router/param-support.ts).
      ...(request.params?.stop !== undefined && { stop_sequences: request.params.stop }),
      ...(request.params?.topP !== undefined && { top_p: request.params.topP }),
      ...(request.params?.user !== undefined && { metadata: { user_id: request.params.user } }),
      ...(request.tools && toTools(request.tools)),
    };
  }

  private result(data: unknown, headers: Headers, latencyMs: number): ModelCallResult {
    const { body, derived, usage, cost, billed } = billedReply(data, headers, readUsage, this.config.pricing);

    const content = body['content'];
    if (!Array.isArray(content))
      throw new MalformedResponseError('response has no content list', 200, billed);
    const texts = content.filter(
      (block: unknown): block is { type: 'text'; text: string } =>
        isObj(block) && block['type'] === 'text' && typeof block['text'] === 'string',
    );
    const toolCalls = readToolUses(content, billed);
    if (texts.length === 0 && !toolCalls) {
      const types = content.map((b: unknown) => (isObj(b) ? String(b['type']) : typeof b)).join(', ');
      throw new MalformedResponseError(
        `response has no text content block${types ? ` (got ${types})` : ''}`,
        200,
        billed,
      );
    }
    const stop = body['stop_reason'];
    return {
      modelId: this.modelId,
      answer: texts.map((t) => t.text).join(''),
      ...(toolCalls ? { toolCalls } : {}),
      finishReason: typeof stop === 'string' ? stop : null,
      logprobs: null,
      usage,
      costUsd: cost,
      latencyMs,
      derivedFields: [...derived],
    };
  }
}

/**
 * The turns in the Messages API's shape: an assistant turn's tool calls are `tool_use` blocks
 * (their arguments parsed: the API takes an object), and `tool` messages are `tool_result` blocks
 * of one user turn (consecutive results answer one assistant turn together).
 */
function toMessages(messages: ChatMessage[]): Anthropic.MessageParam[] {
  const out: Anthropic.MessageParam[] = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      const block: Anthropic.ToolResultBlockParam = {
        type: 'tool_result',
        tool_use_id: m.toolCallId ?? '',
        content: m.content,
      };
      const last = out.at(-1);
      if (
        last?.role === 'user' &&
        Array.isArray(last.content) &&
        last.content.every((b) => b.type === 'tool_result')
      ) {
        last.content.push(block);
      } else out.push({ role: 'user', content: [block] });
      continue;
    }
    if (m.role === 'assistant' && m.toolCalls && m.toolCalls.length > 0) {
      out.push({
        role: 'assistant',
        content: [
          ...(m.content !== '' ? [{ type: 'text' as const, text: m.content }] : []),
          ...m.toolCalls.map((c) => ({
            type: 'tool_use' as const,
            id: c.id,
            name: c.function.name,
            input: parseInput(c.function.arguments),
          })),
        ],
      });
      continue;
    }
    out.push({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content });
  }
  return out;
}

/** Arguments as the object `tool_use.input` must be; text that is not one is kept under `_raw`. */
function parseInput(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args);
    if (isObj(v)) return v;
  } catch {
    // fall through
  }
  return { _raw: args };
}

/** OpenAI's tools and tool_choice in the Messages API's terms. */
function toTools(spec: ToolSpec): Pick<Anthropic.MessageCreateParamsNonStreaming, 'tools' | 'tool_choice'> {
  const tools = spec.definitions.map((t) => ({
    name: t.function.name,
    ...(t.function.description !== undefined && { description: t.function.description }),
    input_schema: (t.function.parameters ?? { type: 'object', properties: {} }) as Anthropic.Tool.InputSchema,
  }));
  const noParallel = spec.parallel === false ? { disable_parallel_tool_use: true } : {};
  const c = spec.choice;
  let choice: Anthropic.ToolChoice | undefined;
  if (c === 'none') choice = { type: 'none' };
  else if (c === 'required') choice = { type: 'any', ...noParallel };
  else if (typeof c === 'object') choice = { type: 'tool', name: c.function.name, ...noParallel };
  else if (c === 'auto' || spec.parallel === false) choice = { type: 'auto', ...noParallel };
  return { tools, ...(choice && { tool_choice: choice }) };
}

/** The reply's `tool_use` blocks as tool calls (arguments as JSON text), or undefined when none. */
function readToolUses(content: unknown[], billed: Usage & { costUsd: number }): ToolCall[] | undefined {
  const uses = content.filter((b): b is Record<string, unknown> => isObj(b) && b['type'] === 'tool_use');
  if (uses.length === 0) return undefined;
  return uses.map((b, i) => {
    if (typeof b['id'] !== 'string' || typeof b['name'] !== 'string' || !isObj(b['input'])) {
      throw new MalformedResponseError(`tool_use block ${i} is not { id, name, input }`, 200, billed);
    }
    return {
      id: b['id'],
      type: 'function' as const,
      function: { name: b['name'], arguments: JSON.stringify(b['input']) },
    };
  });
}

function toOutputFormat(rf: ResponseFormat): Anthropic.JSONOutputFormat | undefined {
  return rf.type === 'json_schema' ? { type: 'json_schema', schema: rf.schema } : undefined;
}

/**
 * `usage` as Usage. Prompt tokens are `input_tokens` plus any cache writes and reads the endpoint
 * reports (this client sets no cache_control, so Anthropic reports none); all are priced at the
 * configured input price.
 */
function readUsage(raw: unknown): { usage: Usage; missing: boolean } {
  const u = isObj(raw) ? raw : {};
  const input = u['input_tokens'];
  const output = u['output_tokens'];
  const cached = ['cache_creation_input_tokens', 'cache_read_input_tokens']
    .map((k) => u[k])
    .reduce<number>((sum, v) => sum + (isCount(v) ? v : 0), 0);
  return {
    usage: { tokensIn: (isCount(input) ? input : 0) + cached, tokensOut: isCount(output) ? output : 0 },
    missing: !isCount(input) || !isCount(output),
  };
}
