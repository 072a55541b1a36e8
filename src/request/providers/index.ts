/** The provider layer: model clients, their error classification, usage and cost. */
export * from './types';
export { costUsd, type Pricing } from './cost';
export {
  retryAfterMs,
  parseRetryAfterHeader,
  parseRetryAfterMs,
  headerValue,
  type HeaderSource,
} from './retry-after';
export {
  classifyFailure,
  classifyStatus,
  isContextLengthError,
  isAbortError,
  redactSecrets,
  displayEndpoint,
  MalformedResponseError,
  type FailureContext,
} from './failure-class';
export {
  OpenAICompatibleProvider,
  NO_KEY_PLACEHOLDER,
  type OpenAICompatibleOptions,
} from './openai-compatible';
export { DERIVED_HEADER } from './billed-reply';
export { AnthropicProvider, DEFAULT_MAX_TOKENS, anthropicBaseUrl, type AnthropicOptions } from './anthropic';
export { createProvider, providerFor, type CreateProviderOptions } from './registry';
