/**
 * The shape of cascade.config.yaml, as zod schemas. Cross-field rules (a rung names a known
 * model, a route has the rungs it needs, a response schema compiles) live in validate.ts so
 * each error can name the exact path that is wrong.
 */
import { z } from 'zod';
import { monitorsSchema } from './monitors-schema';

/** Model ids appear in task-queue names (`cascade-model-<modelId>`) and metric labels. */
export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._\-/:]{0,127}$/;
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,127}$/;

export const ROUTES = ['static', 'direct-small', 'cascade', 'latency-budget'] as const;
export type Route = (typeof ROUTES)[number];

/**
 * How a request's model calls run (docs/architecture.md, "Lean and durable execution"): `lean`
 * as local activities inside the workflow task (3 billable actions for a request that does not
 * retry), `durable` as activities on each model's own task queue.
 */
export const EXECUTIONS = ['lean', 'durable'] as const;
export type Execution = (typeof EXECUTIONS)[number];

export const CONFIDENCE_SOURCES = [
  'answer_logprob', // log-probability of the answer token (single-token answers: a letter, a label)
  'mean_logprob', // mean token log-probability of the answer
  'min_logprob', // least likely token of the answer
  'self_check', // a second call asks the same model "is this answer right?"; P(yes)
  'judge', // a judge model scores the answer 1-10 (MT-Bench style); score/10 through calibration
] as const;
export type ConfidenceSource = (typeof CONFIDENCE_SOURCES)[number];

const positiveMs = z.number().int().positive();

export const pricingSchema = z.strictObject({
  /** USD per million input (prompt) tokens. */
  inputPerMTok: z.number().nonnegative(),
  /** USD per million output (completion) tokens. */
  outputPerMTok: z.number().nonnegative(),
});

export const modelSchema = z.strictObject({
  /** `openai-compatible` (Chat Completions) or `anthropic` (Messages API; returns no logprobs). */
  provider: z.enum(['openai-compatible', 'anthropic']),
  /** Base URL of the API: OpenAI-compatible including `/v1`; Anthropic's root, `/v1` optional. */
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** The model name sent to the endpoint; defaults to the model id. */
  model: z.string().min(1).optional(),
  /** Name of the environment variable that holds the API key (never the key itself). */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name such as OPENAI_API_KEY')
    .optional(),
  pricing: pricingSchema,
  /** Per-attempt HTTP timeout. */
  timeoutMs: positiveMs.default(60_000),
  /** Concurrent calls this endpoint accepts (the worker slots of its task queue). */
  concurrency: z.number().int().positive().max(1024).default(8),
  /** Whether the endpoint returns token logprobs (OpenAI, vLLM, llama.cpp do; many proxies do not). */
  logprobs: z.boolean().default(true),
  /**
   * More endpoints serving the same model (replicas, another region, another provider): a call
   * fails over to them while the primary's circuit is open, before the cascade escalates to a
   * dearer model.
   */
  failover: z
    .array(
      z.strictObject({
        baseUrl: z.url({ protocol: /^https?$/ }),
        apiKeyEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
          .optional(),
      }),
    )
    .default([]),
  /** Circuit breaker per endpoint: open after this many consecutive failures, probe after cooldown. */
  circuit: z
    .strictObject({
      failureThreshold: z.number().int().min(1).max(1000).default(5),
      cooldownMs: positiveMs.default(30_000),
    })
    .prefault({}),
  /**
   * The endpoint's Prometheus metrics, read by latency-budget dispatch for its own queue depth:
   * vLLM's `vllm:num_requests_waiting`, the recorded-model server's `recorded_queue_depth`.
   */
  metrics: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }),
      /** Metric name; a `model` label, when present, is matched against the endpoint's model name. */
      queueMetric: z.string().min(1).default('vllm:num_requests_waiting'),
    })
    .optional(),
  /** Service time assumed before any call has been observed (latency-budget dispatch). */
  expectedLatencyMs: positiveMs.default(1_000),
});
export type ModelConfig = z.infer<typeof modelSchema>;

export const rungSchema = z.strictObject({
  model: z.string().min(1),
  /** Calibrated P(correct) the rung's answer must reach to stand (cascade route). */
  threshold: z.number().min(0).max(1).optional(),
  confidence: z.enum(CONFIDENCE_SOURCES).optional(),
  /** The judge model of a `judge` confidence rung. */
  judge: z.string().min(1).optional(),
});
export type RungConfig = z.infer<typeof rungSchema>;

export const limitsSchema = z.strictObject({
  /** Attempts per rung, the first included (transient failures only are retried). */
  maxAttemptsPerRung: z.number().int().min(1).max(20).default(3),
  /** Spend cap for one request across all calls, in USD. */
  maxSpendUsd: z.number().positive().default(1),
  /** Wall-clock budget of one request, retries and backoff included. */
  deadlineMs: positiveMs.default(120_000),
  /** First retry backoff; doubles each attempt up to maxBackoffMs, unless Retry-After says more. */
  initialBackoffMs: positiveMs.default(500),
  maxBackoffMs: positiveMs.default(10_000),
});
export type LimitsConfig = z.infer<typeof limitsSchema>;

export const taskSchema = z.strictObject({
  route: z.enum(ROUTES),
  rungs: z.array(rungSchema).min(1),
  /** JSON Schema the answer must satisfy (required for direct-small). */
  responseSchema: z.record(z.string(), z.unknown()).optional(),
  limits: limitsSchema.prefault({}),
  description: z.string().optional(),
  /** The model that serves alone when routing is off (kill switch, rollout, shadow); default the last rung. */
  baseline: z.string().min(1).optional(),
  /** Percent of requests (by a stable hash of the request id) served by the route; the rest by the baseline. */
  rollout: z.number().min(0).max(100).default(100),
  /** Shadow mode: the baseline serves; the route runs beside it as a child workflow and records what it would have done. */
  shadow: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Share of baseline-served requests that get a shadow (shadows double model spend). */
      sampleRate: z.number().min(0).max(1).default(1),
    })
    .prefault({}),
  /** Incident control: serve every new request with the baseline alone, no routing work. */
  killSwitch: z.boolean().default(false),
  /** Incident control: serve every new request with this model alone (e.g. force the large model). */
  overrideModel: z.string().min(1).optional(),
  /** Default budget of a latency-budget request that names none. */
  latencyBudgetMs: positiveMs.optional(),
  /**
   * A calibration artefact written by `cascade calibrate` (a path, relative to this config
   * file): calibration maps and thresholds per rung, and the pre-route classifier. Its version
   * goes into every policy snapshot and trace.
   */
  calibration: z.string().min(1).optional(),
  /**
   * `lean` or `durable`; default: lean, unless the route is latency-budget (it reads the
   * per-model queues) or a rung's model may call for longer than `temporal.leanMaxCallMs`.
   */
  execution: z.enum(EXECUTIONS).optional(),
});
export type TaskConfig = z.infer<typeof taskSchema>;

/**
 * A gateway key's limits per minute (a window that opens with the key's first request and lasts 60 s,
 * as @fastify/rate-limit counts): requests started, and tokens (input and output,
 * every call of the request) used. A request over either gets 429 `rate_limit_exceeded` with
 * Retry-After, before anything starts.
 */
const keyLimitsSchema = z.strictObject({
  requestsPerMinute: z.number().int().positive().optional(),
  tokensPerMinute: z.number().int().positive().optional(),
});

export const configSchema = z.strictObject({
  temporal: z
    .strictObject({
      namespace: z.string().min(1).default('default'),
      /** USD per Temporal action (Temporal Cloud bills per action; 0 when self-hosted cost is counted elsewhere). */
      costPerAction: z.number().nonnegative().default(0),
      /**
       * The longest model timeout (`models.*.timeoutMs`) a lean request accepts: a local
       * activity holds its workflow task open, and one that outlives the task's timeout costs a
       * heartbeat and is retried only after it, so tasks whose calls may run longer go durable.
       */
      leanMaxCallMs: positiveMs.default(60_000),
    })
    .prefault({}),
  models: z.record(z.string().regex(MODEL_ID, 'model ids are letters, digits and . _ - / :'), modelSchema),
  tasks: z.record(z.string().regex(TASK_ID, 'task ids are letters, digits and . _ - /'), taskSchema),
  /** The task used when a request names none (e.g. rows of ../shared/data whose task is unknown). */
  defaultTask: z.string().optional(),
  /** The outcome ledger (where it lives is CASCADE_LEDGER_URL, an environment setting). */
  ledger: z
    .strictObject({
      /** A request with the same caller and prompt as one within this window is linked to it as a user retry. */
      retryWindowMs: positiveMs.default(10 * 60_000),
    })
    .prefault({}),
  /** The gateway's per-key limits, by the token id of CASCADE_API_TOKENS (docs/gateway.md). */
  gateway: z
    .strictObject({
      limits: z
        .strictObject({
          /** For every key without limits of its own; none: no limit. */
          default: keyLimitsSchema.optional(),
          keys: z.record(z.string().min(1), keyLimitsSchema).default({}),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Per-tenant settings, by the `tenant` of a request's metadata. */
  tenants: z
    .record(
      z.string().min(1),
      z.strictObject({
        /** New requests are refused (reason spend_cap) once the tenant's spend this calendar month (UTC) reaches it. */
        monthlySpendCapUsd: z.number().positive().optional(),
      }),
    )
    .default({}),
  /** The monitors that tell whether routing pays (docs/monitors.md). */
  monitors: monitorsSchema,
});
export type CascadeConfig = z.infer<typeof configSchema>;
