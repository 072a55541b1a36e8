/** Time ticks in UTC at round intervals (minutes, hours, days) for the over-time charts. */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEPS = [
  MIN,
  5 * MIN,
  15 * MIN,
  30 * MIN,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
];

const pad = (n: number) => String(n).padStart(2, '0');

/** `14:00`, or `11-27` at midnight and for day steps. */
export function timeLabel(ms: number, step: number): string {
  const d = new Date(ms);
  const day = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (step >= DAY || (d.getUTCHours() === 0 && d.getUTCMinutes() === 0)) return day;
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** About `count` ticks in [from, to] at a round UTC interval. */
export function timeTicks(from: number, to: number, count = 6): { at: number; label: string }[] {
  if (!(to > from)) return [];
  const raw = (to - from) / Math.max(1, count);
  const step = STEPS.find((s) => s >= raw) ?? Math.ceil(raw / DAY) * DAY;
  const out: { at: number; label: string }[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step)
    out.push({ at: t, label: timeLabel(t, step) });
  return out;
}
