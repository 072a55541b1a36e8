/**
 * Builds the provider client for a configured model. Keys are resolved here, in the worker, from
 * the environment variable the config names (`apiKeyEnv`); they never enter a workflow input,
 * a history event, a log line or the ledger.
 */
import { type CascadeConfig, type ModelConfig } from '../config/schema';
import { providerKey } from '../env';
import { OpenAICompatibleProvider } from './openai-compatible';
import { type ModelCallResult, type ModelProvider, ProviderError } from './types';

export interface CreateProviderOptions {
  /** A fetch to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch;
}

/**
 * A model whose key is missing from the worker's environment. Every call fails with
 * `config_error` naming the variable (never a value), so the misconfiguration shows up in the
 * request's trace and opens that endpoint's circuit, instead of crashing the whole worker at
 * start for one bad model among many.
 */
class MissingKeyProvider implements ModelProvider {
  constructor(
    private readonly modelId: string,
    private readonly envName: string,
  ) {}

  call(): Promise<ModelCallResult> {
    return Promise.reject(
      new ProviderError({
        errorClass: 'config_error',
        retryable: false,
        status: null,
        retryAfterMs: null,
        latencyMs: 0,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
        message:
          `model "${this.modelId}": environment variable ${this.envName} (its apiKeyEnv) is not set ` +
          `in the worker's environment; set it, or remove apiKeyEnv for an endpoint that needs no key`,
      }),
    );
  }
}

/** The client for one configured model; `env` is the worker's environment (a parameter for tests). */
export function createProvider(
  modelId: string,
  modelConfig: ModelConfig,
  env: NodeJS.ProcessEnv = process.env,
  opts: CreateProviderOptions = {},
): ModelProvider {
  const apiKey = providerKey(modelConfig.apiKeyEnv, env);
  if (modelConfig.apiKeyEnv && apiKey === undefined) {
    return new MissingKeyProvider(modelId, modelConfig.apiKeyEnv);
  }
  switch (modelConfig.provider) {
    case 'openai-compatible':
      return new OpenAICompatibleProvider(modelId, modelConfig, { apiKey, fetch: opts.fetch });
  }
}

/**
 * The client for `modelId` of a loaded config. An unknown id is a programming or deployment
 * error (config validation checks every rung names a known model), so it throws at once.
 */
export function providerFor(
  modelId: string,
  config: CascadeConfig,
  env: NodeJS.ProcessEnv = process.env,
  opts: CreateProviderOptions = {},
): ModelProvider {
  // hasOwn: a model id such as "constructor" must not find Object.prototype's.
  const modelConfig = Object.hasOwn(config.models, modelId) ? config.models[modelId] : undefined;
  if (!modelConfig) {
    const known = Object.keys(config.models).sort();
    throw new Error(
      `unknown model id ${JSON.stringify(modelId)}; the config defines ${
        known.length > 0 ? known.map((k) => JSON.stringify(k)).join(', ') : 'no models'
      }`,
    );
  }
  return createProvider(modelId, modelConfig, env, opts);
}
