/** Queries and signals of the cascade workflow (Contracts: query `trace`). */
import { defineQuery } from '@temporalio/workflow';
import type { Trace } from '../src/router/trace';

export const traceQuery = defineQuery<Trace>('trace');
