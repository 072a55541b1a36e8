/**
 * The request at the boundary (Contracts, "Request"): validated with zod before any workflow
 * starts, so a bad request is refused with every problem named and nothing half-started.
 * Rows of ../shared/data are accepted as they are; their recorded `models` (and other
 * bookkeeping fields) are ignored.
 */
import { z } from 'zod';
import { formatPath } from '../config/errors';
import type { ChatMessage } from '../providers/types';

const messageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

/** Workflow ids are request ids: printable, no spaces, bounded. */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

export const requestSchema = z
  .looseObject({
    id: z.string().regex(REQUEST_ID, 'must be 1-200 printable characters without spaces'),
    task: z.string().min(1).optional(),
    messages: z.array(messageSchema).optional(),
    prompt: z.string().optional(),
    system: z.string().optional(),
    responseSchema: z.record(z.string(), z.unknown()).optional(),
    latencyBudgetMs: z.number().positive('must be a positive number of milliseconds').optional(),
    retryOf: z.string().regex(REQUEST_ID).optional(),
    maxTokens: z.number().int().positive('must be a positive integer').optional(),
    temperature: z.number().min(0).max(2).optional(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.messages === undefined && r.prompt === undefined) {
      ctx.addIssue({ code: 'custom', path: ['messages'], message: 'a request needs `messages` or `prompt`' });
    }
    if (r.messages !== undefined && r.prompt !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'give `messages` or `prompt`, not both' });
    }
    if (r.messages !== undefined && !r.messages.some((m) => m.role === 'user' && m.content.trim() !== '')) {
      ctx.addIssue({
        code: 'custom',
        path: ['messages'],
        message: 'needs at least one non-empty user message',
      });
    }
    if (r.prompt !== undefined && r.prompt.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'must not be empty' });
    }
  });

export type RawRequest = z.input<typeof requestSchema>;

export interface NormalizedRequest {
  id: string;
  task: string | undefined;
  messages: ChatMessage[];
  responseSchema?: Record<string, unknown>;
  latencyBudgetMs?: number;
  retryOf?: string;
  maxTokens?: number;
  temperature?: number;
  metadata?: Record<string, string | number | boolean>;
}

export interface RequestIssue {
  path: string;
  message: string;
}

/** A request refused at the boundary; `issues` names each wrong field. */
export class RequestError extends Error {
  constructor(
    readonly requestId: string | undefined,
    readonly issues: RequestIssue[],
  ) {
    super(
      `invalid request${requestId ? ` ${JSON.stringify(requestId)}` : ''}: ` +
        issues.map((i) => `${i.path || '(request)'}: ${i.message}`).join('; '),
    );
    this.name = 'RequestError';
  }
}

export function parseRequest(raw: unknown): NormalizedRequest {
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const id =
      raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string'
        ? (raw as { id: string }).id
        : undefined;
    throw new RequestError(
      id,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  const r = parsed.data;
  const messages: ChatMessage[] = r.messages ?? [
    ...(r.system ? [{ role: 'system' as const, content: r.system }] : []),
    { role: 'user' as const, content: r.prompt! },
  ];
  return {
    id: r.id,
    task: r.task,
    messages,
    ...(r.responseSchema ? { responseSchema: r.responseSchema } : {}),
    ...(r.latencyBudgetMs !== undefined ? { latencyBudgetMs: r.latencyBudgetMs } : {}),
    ...(r.retryOf ? { retryOf: r.retryOf } : {}),
    ...(r.maxTokens !== undefined ? { maxTokens: r.maxTokens } : {}),
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.metadata ? { metadata: r.metadata } : {}),
  };
}
