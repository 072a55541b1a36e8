/**
 * The spend section's figures as rows of text, shared by the text table and the HTML report so
 * both say the same: the window beside the previous period and a month at this pace, then spend
 * by model and by tenant. Dollars at the report's precision (money()).
 */
import type { SpendSection } from '../monitors/types';
import { count, money, windowText } from '../monitors/draw/format';

export interface SpendTables {
  /** [what, this window, previous period, a month at this pace] */
  periods: { headers: string[]; rows: string[][] };
  /** What the previous period is (the report's reference window), or why there is none. */
  previousNote: string;
  byModel: { headers: string[]; rows: string[][] };
  byTenant: { headers: string[]; rows: string[][] };
}

export function spendTables(s: SpendSection): SpendTables {
  const p = s.previous;
  const cost = (x: SpendSection['current']) => x.modelCostUsd + x.orchestrationCostUsd;
  return {
    periods: {
      headers: ['', 'this window', 'previous period', 'a month at this pace'],
      rows: [
        ['requests', count(s.current.requests), p ? count(p.requests) : '-', count(s.monthly.requests)],
        [
          'spend (models + orchestration)',
          money(cost(s.current)),
          p ? money(cost(p)) : '-',
          money(s.monthly.costUsd),
        ],
        [
          'net savings',
          money(s.current.netSavingsUsd),
          p ? money(p.netSavingsUsd) : '-',
          money(s.monthly.netSavingsUsd),
        ],
      ],
    },
    previousNote: p
      ? `previous period: ${windowText(p.window)}`
      : 'previous period: none (the report compares with a calibration, not an earlier window)',
    byModel: {
      headers: ['model', 'calls', 'spend'],
      rows: s.byModel.map((m) => [m.model, count(m.attempts), money(m.costUsd)]),
    },
    byTenant: {
      headers: ['tenant', 'requests', 'spend', 'orchestration', 'net savings'],
      rows: s.byTenant.map((t) => [
        t.tenant ?? '(none)',
        count(t.requests),
        money(t.costUsd),
        money(t.orchestrationCostUsd),
        money(t.netSavingsUsd),
      ]),
    },
  };
}
