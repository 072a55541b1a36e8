/**
 * drift_outcome: the same model name can answer differently next month (a provider's snapshot
 * changes), and a calibration fitted on last month's answers then misjudges this month's. Per
 * (task, model), this window against the reference window:
 *
 * - accuracy of the answers that model served, from feedback (latest per request; score >= 0.5
 *   counts as correct);
 * - escalation rate away from that model: of the requests it answered (it served, or an
 *   escalation left it), the share that escalated past it;
 * - PSI of the raw confidence of the checks it decided (confidenceModel), null when none;
 * - mean output tokens of its answer calls (successful attempts), a cheap tell of a new snapshot.
 *
 * Drifted: an accuracy or escalation shift >= `minShift` that is significant (two-proportion
 * z-test, p < 1 - confidence), both sides with `minRequests`; or the confidence PSI above
 * max(config.drift.psi, its noise bar). One alert per drifted aspect (`task/model:accuracy`,
 * `:escalation`, `:confidence`), each recommending recalibration.
 */
import type { MonitorsConfig } from '../../../request/config/monitors-schema';
import type { RequestRow } from '../../../request/ledger/types';
import { fmt, pct, recalibrateHint, type WindowView } from '../report-data';
import { psi, twoProportionPValue, wilson } from '../stats';
import type { Alert, OutcomeDrift, Rate } from '../types';

interface ModelSample {
  served: RequestRow[];
  correct: number;
  judged: number;
  answered: number;
  escalatedAway: number;
  confidences: number[];
  tokensOut: number;
  answerCalls: number;
}

export function outcomeDriftMonitor(
  current: WindowView,
  reference: WindowView | null,
  config: MonitorsConfig,
): { outcomes: OutcomeDrift[]; alerts: Alert[] } {
  if (!reference) return { outcomes: [], alerts: [] };
  const conf = config.confidence;
  const min = config.minRequests;
  const alpha = 1 - conf;
  const cur = samples(current);
  const ref = samples(reference);
  const outcomes: OutcomeDrift[] = [];
  const alerts: Alert[] = [];

  for (const key of [...cur.keys()].sort()) {
    const c = cur.get(key)!;
    const r = ref.get(key) ?? emptySample();
    const [task, model] = key.split('\u0000') as [string, string];
    const label = `${task}/${model}`;

    const accCur = wilson(c.correct, c.judged, conf);
    const accRef = wilson(r.correct, r.judged, conf);
    const accuracy =
      c.judged + r.judged > 0
        ? {
            current: accCur,
            reference: accRef,
            pValue: twoProportionPValue(c.correct, c.judged, r.correct, r.judged),
          }
        : null;
    const escCur = wilson(c.escalatedAway, c.answered, conf);
    const escRef = wilson(r.escalatedAway, r.answered, conf);
    const escalation = {
      current: escCur,
      reference: escRef,
      pValue: twoProportionPValue(c.escalatedAway, c.answered, r.escalatedAway, r.answered),
    };
    const confPsi =
      c.confidences.length > 0 && r.confidences.length > 0
        ? psi(r.confidences, c.confidences, { confidence: conf })
        : null;
    const confidence = confPsi
      ? {
          psi: confPsi.psi,
          critical: confPsi.critical,
          n: c.confidences.length,
          referenceN: r.confidences.length,
        }
      : null;
    const tokensOut = {
      current: c.answerCalls ? c.tokensOut / c.answerCalls : null,
      reference: r.answerCalls ? r.tokensOut / r.answerCalls : null,
    };

    const hint = recalibrateHint(task, [...c.served, ...r.served]);
    const shifted = (a: Rate, b: Rate, p: number | null) =>
      a.n >= min &&
      b.n >= min &&
      p !== null &&
      p < alpha &&
      Math.abs(a.rate! - b.rate!) >= config.drift.minShift;
    const found: Alert[] = [];
    if (accuracy && shifted(accCur, accRef, accuracy.pValue)) {
      const drop = accCur.rate! < accRef.rate!;
      found.push({
        monitor: 'drift_outcome',
        key: `${label}:accuracy`,
        severity: drop ? 'critical' : 'warning',
        message:
          `${label}: accuracy ${drop ? 'fell' : 'rose'} from ${pct(accRef.rate)} (${accRef.k}/${accRef.n}) to ` +
          `${pct(accCur.rate)} (${accCur.k}/${accCur.n}), p=${fmt(accuracy.pValue)}: the model answers differently ` +
          `than when the router was calibrated`,
        value: accCur.rate! - accRef.rate!,
        threshold: drop ? -config.drift.minShift : config.drift.minShift,
        evidence: rateEvidence(accCur, accRef, accuracy.pValue, tokensOut),
        recommendation: hint,
      });
    }
    if (shifted(escCur, escRef, escalation.pValue)) {
      found.push({
        monitor: 'drift_outcome',
        key: `${label}:escalation`,
        severity: 'warning',
        message:
          `${label}: escalations past this model moved from ${pct(escRef.rate)} (${escRef.k}/${escRef.n}) to ` +
          `${pct(escCur.rate)} (${escCur.k}/${escCur.n}), p=${fmt(escalation.pValue)}`,
        value: escCur.rate! - escRef.rate!,
        threshold: escCur.rate! < escRef.rate! ? -config.drift.minShift : config.drift.minShift,
        evidence: rateEvidence(escCur, escRef, escalation.pValue, tokensOut),
        recommendation: hint,
      });
    }
    if (
      confPsi &&
      c.confidences.length >= min &&
      r.confidences.length >= min &&
      confPsi.psi > Math.max(config.drift.psi, confPsi.critical)
    ) {
      found.push({
        monitor: 'drift_outcome',
        key: `${label}:confidence`,
        severity: 'warning',
        message:
          `${label}: raw confidence distribution shifted, PSI ${fmt(confPsi.psi)} (bar ${fmt(config.drift.psi)}, ` +
          `noise ${fmt(confPsi.critical)}) over ${c.confidences.length} checks vs ${r.confidences.length}: its calibration map is stale`,
        value: confPsi.psi,
        threshold: Math.max(config.drift.psi, confPsi.critical),
        evidence: {
          psi: confPsi.psi,
          critical: confPsi.critical,
          n: c.confidences.length,
          referenceN: r.confidences.length,
          tokensOut: tokensOut.current,
          referenceTokensOut: tokensOut.reference,
        },
        recommendation: hint,
      });
    }
    outcomes.push({ task, model, accuracy, escalation, confidence, tokensOut, drifted: found.length > 0 });
    alerts.push(...found);
  }
  return { outcomes, alerts };
}

function rateEvidence(
  cur: Rate,
  ref: Rate,
  pValue: number | null,
  tokensOut: OutcomeDrift['tokensOut'],
): Alert['evidence'] {
  return {
    n: cur.n,
    k: cur.k,
    rate: cur.rate,
    referenceN: ref.n,
    referenceK: ref.k,
    referenceRate: ref.rate,
    pValue,
    tokensOut: tokensOut.current,
    referenceTokensOut: tokensOut.reference,
  };
}

function emptySample(): ModelSample {
  return {
    served: [],
    correct: 0,
    judged: 0,
    answered: 0,
    escalatedAway: 0,
    confidences: [],
    tokensOut: 0,
    answerCalls: 0,
  };
}

/** Per (task, model) of the served requests: what that model did in this window. */
function samples(view: WindowView): Map<string, ModelSample> {
  const out = new Map<string, ModelSample>();
  const get = (task: string, model: string) => {
    const k = `${task}\u0000${model}`;
    let s = out.get(k);
    if (!s) out.set(k, (s = emptySample()));
    return s;
  };
  const taskOf = new Map<string, string>();
  for (const r of view.served) {
    taskOf.set(r.id, r.task);
    const left = new Set(r.escalations.map((e) => e.from));
    const models = new Set(left);
    if (r.finalModel) models.add(r.finalModel);
    for (const m of models) {
      const s = get(r.task, m);
      s.answered += 1;
      if (left.has(m)) s.escalatedAway += 1;
    }
    if (r.finalModel) {
      const s = get(r.task, r.finalModel);
      s.served.push(r);
      const score = view.score.get(r.id);
      if (score !== undefined) {
        s.judged += 1;
        if (score >= 0.5) s.correct += 1;
      }
    }
    if (r.confidenceModel && r.rawConfidence !== null && Number.isFinite(r.rawConfidence)) {
      get(r.task, r.confidenceModel).confidences.push(r.rawConfidence);
    }
  }
  for (const c of view.calls) {
    const task = taskOf.get(c.requestId);
    if (task === undefined || c.purpose !== 'answer') continue;
    const s = get(task, c.model);
    s.tokensOut += c.tokensOut;
    s.answerCalls += c.okAttempts;
  }
  return out;
}
