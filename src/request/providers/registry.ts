/**
 * Builds the provider client for a configured model. Keys are resolved here, in the worker, from
 * the environment variable the config names (`apiKeyEnv`); they never enter a workflow input,
 * a history event, a log line or the ledger.
 *
 * Every model is an EndpointPool (endpoint-pool.ts) over its endpoints, the primary `baseUrl`
 * then its `failover` list, each behind its own circuit breaker; a model with one endpoint still
 * gets a circuit. Circuit state lives in the returned object, so it is per worker process: the
 * worker builds one provider per model and keeps it (src/temporal/worker.ts).
 */
import { noCallFailure } from './no-call-failure';
import { type CascadeConfig, type ModelConfig } from '../config/schema';
import { providerKey } from '../../env';
import { AnthropicProvider } from './anthropic';
import { type CircuitLogger } from './circuit';
import { EndpointPool, type PoolEndpoint } from './endpoint-pool';
import { OpenAICompatibleProvider } from './openai-compatible';
import { type ModelCallResult, type ModelProvider, ProviderError } from './types';

export interface CreateProviderOptions {
  /** A fetch to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch;
  /** The circuits' clock (tests inject one); Date.now by default. */
  now?: () => number;
  /** Where circuit transitions are logged; console by default. */
  logger?: CircuitLogger;
}

/** One endpoint of a model: the primary (index 0) or a failover. */
export interface ModelEndpoint {
  baseUrl: string;
  /**
   * The variable holding this endpoint's key. A failover endpoint names its own (a replica at
   * another provider has another key); one that names none is called without a key.
   */
  apiKeyEnv?: string;
}

/** The model's endpoints in the order calls try them: the primary, then `failover`. */
export function modelEndpoints(modelConfig: ModelConfig): ModelEndpoint[] {
  return [{ baseUrl: modelConfig.baseUrl, apiKeyEnv: modelConfig.apiKeyEnv }, ...modelConfig.failover];
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
    /** "" for the primary, " (failover endpoint 2)" for a failover. */
    private readonly which: string = '',
  ) {}

  call(): Promise<ModelCallResult> {
    return Promise.reject(
      new ProviderError(
        noCallFailure(
          'config_error',
          false,
          `model "${this.modelId}"${this.which}: environment variable ${this.envName} (its apiKeyEnv) is not set ` +
            `in the worker's environment; set it, or remove apiKeyEnv for an endpoint that needs no key`,
        ),
      ),
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
  const endpoints: PoolEndpoint[] = modelEndpoints(modelConfig).map((endpoint, i) => ({
    baseUrl: endpoint.baseUrl,
    provider: endpointProvider(modelId, modelConfig, endpoint, i, env, opts),
  }));
  return new EndpointPool(modelId, endpoints, modelConfig.circuit, { now: opts.now, logger: opts.logger });
}

/** The client of one endpoint: the model's settings with this endpoint's URL and key. */
function endpointProvider(
  modelId: string,
  modelConfig: ModelConfig,
  endpoint: ModelEndpoint,
  index: number,
  env: NodeJS.ProcessEnv,
  opts: CreateProviderOptions,
): ModelProvider {
  const apiKey = providerKey(endpoint.apiKeyEnv, env);
  if (endpoint.apiKeyEnv && apiKey === undefined) {
    return new MissingKeyProvider(
      modelId,
      endpoint.apiKeyEnv,
      index > 0 ? ` (failover endpoint ${index})` : '',
    );
  }
  const config: ModelConfig = { ...modelConfig, baseUrl: endpoint.baseUrl, apiKeyEnv: endpoint.apiKeyEnv };
  switch (modelConfig.provider) {
    case 'openai-compatible':
      return new OpenAICompatibleProvider(modelId, config, { apiKey, fetch: opts.fetch });
    case 'anthropic':
      return new AnthropicProvider(modelId, config, { apiKey, fetch: opts.fetch });
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
