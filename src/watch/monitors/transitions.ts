/**
 * Which alerts started and which resolved between two evaluations: notifications go out on a
 * change of state, not on every evaluation of a condition that still holds (a webhook that
 * repeats the same alert every five minutes gets muted, and then misses the next one).
 * An alert is identified by its monitor and key (types.ts keeps keys stable across evaluations).
 */
import type { Alert } from './types';

export interface AlertTransition {
  state: 'firing' | 'resolved';
  /** The alert as in this evaluation (firing) or as last seen (resolved). */
  alert: Alert;
}

export const alertId = (a: Pick<Alert, 'monitor' | 'key'>): string => `${a.monitor}:${a.key}`;

export function alertTransitions(previous: Alert[], current: Alert[]): AlertTransition[] {
  const before = new Map(previous.map((a) => [alertId(a), a]));
  const now = new Map(current.map((a) => [alertId(a), a]));
  const out: AlertTransition[] = [];
  for (const [id, a] of now) if (!before.has(id)) out.push({ state: 'firing', alert: a });
  for (const [id, a] of before) if (!now.has(id)) out.push({ state: 'resolved', alert: a });
  return out;
}
