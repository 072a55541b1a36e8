/** What a cascade workflow is started with: the validated request and its policy snapshot. */
import type { CallerParams, ChatMessage, ToolSpec } from '../providers/types';
import type { PolicySnapshot } from './policy';

export interface CascadeRequestInput {
  id: string;
  task: string;
  messages: ChatMessage[];
  latencyBudgetMs?: number;
  retryOf?: string;
  /** sha256 of the messages (src/request/ledger/prompt-hash.ts), set by the client: user retries are matched on it. */
  promptHash?: string;
  /** Sampling settings for the answer calls, when the caller set them (the gateway's max_tokens, temperature). */
  maxTokens?: number;
  temperature?: number;
  /**
   * The caller's other chat-completions parameters (stop, seed, top_p, penalties, logprobs, user,
   * metadata), sent to every answer call. Absent in histories recorded before they were passed on.
   */
  params?: CallerParams;
  /** Tools offered to every answer call; each reply's calls are checked against them. */
  tools?: ToolSpec;
  /** Caller-supplied labels (tenant, caller, ...). Never secrets: it is stored in history. */
  metadata?: Record<string, string | number | boolean>;
}

export interface CascadeInput {
  request: CascadeRequestInput;
  policy: PolicySnapshot;
  /** Set on a shadow child: the workflow id of the parent whose served answer it compares with. */
  shadowOf?: string;
}

export const CASCADE_WORKFLOW_TYPE = 'cascadeWorkflow';
export const CASCADE_TASK_QUEUE = 'cascade';
export const SHADOW_TASK_QUEUE = 'cascade-shadow';
