/** Colours and type sizes shared by the charts (one place to change the look). */
export const COLORS = {
  ink: '#1f2933',
  muted: '#616e7c',
  axis: '#9aa5b1',
  grid: '#e4e7eb',
  actual: '#2563eb',
  baseline: '#6b7280',
  router: '#d97706',
  savings: '#16a34a',
  loss: '#dc2626',
  band: '#9ca3af',
  small: '#0891b2',
  escalated: '#7c3aed',
  reference: '#9ca3af',
  current: '#2563eb',
  drifted: '#dc2626',
  quiet: '#60a5fa',
  alert: '#dc2626',
  ok: '#16a34a',
} as const;

export const FONT = {
  family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  size: 11,
  title: 13,
} as const;
