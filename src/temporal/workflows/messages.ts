/** Queries and signals of the cascade workflow (Contracts: query `trace`). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Trace } from '../../request/router/trace';

export const traceQuery = defineQuery<Trace>('trace');

/** What the baseline served: the parent tells its shadow child, which compares. */
export interface ServedAnswer {
  model: string | null;
  answer: string | null;
  costUsd: number;
}
export const servedAnswerSignal = defineSignal<[ServedAnswer]>('servedAnswer');
