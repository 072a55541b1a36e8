/**
 * The windows one evaluation looks at: the last `windowMs` up to its time, and the
 * `referenceMs` before that as the reference that drift and uncalibrated escalation baselines
 * compare against. `cascade report` uses the same function for its defaults.
 */
import type { MonitorsConfig } from '../../request/config/monitors-schema';
import type { Window } from './types';

export function evaluationWindows(
  at: number,
  config: Pick<MonitorsConfig, 'windowMs' | 'referenceMs'>,
): { window: Window; reference: Window } {
  const window = { from: at - config.windowMs, to: at };
  return { window, reference: { from: window.from - config.referenceMs, to: window.from } };
}
