/**
 * The static, direct-small and cascade routes: walk the rungs from the cheapest; a rung's
 * answer stands when it passes its checks (schema, calibrated confidence), else the next rung
 * runs, with the reason on the record. The strongest rung's answer is served as it is.
 *
 * With a calibration artefact, a rung can also be skipped before it is called, on the
 * pre-route classifier's prediction (the snapshot's `skip` rule; recorded in
 * `trace.decision.skippedRungs`, not as an escalation). The decisions themselves are
 * src/request/router/rung-decision.ts, the code the offline calibration and benchmark replay.
 * Snapshots without `skip` (every history recorded before artefacts) issue the same commands.
 */
import { proxyLocalActivities } from '@temporalio/workflow';
import type { CheckOutput, LocalActivities } from '../activities';
import type { ChatMessage, TokenLogprob } from '../../request/providers/types';
import { buildJudgeMessages } from '../../request/router/judge';
import { decideRung, shouldSkipRung } from '../../request/router/rung-decision';
import { buildSelfCheckPrompt } from '../../request/router/self-check';
import { callWithRetries } from './model-call';
import { accept, countLocalActivity, escalate, type RunContext } from './run-context';

const local = proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

export async function runLadder(ctx: RunContext): Promise<void> {
  const { policy, request, trace } = ctx;
  let fallback: { rung: number; answer: string } | null = null; // an answer that failed a check
  let stoppedBy: string | null = null;
  const answerPurpose = ctx.isShadow ? 'shadow' : 'answer';

  for (let i = 0; i < policy.rungs.length; i++) {
    const rung = policy.rungs[i]!;
    const isLast = i === policy.rungs.length - 1;
    if (shouldSkipRung(rung.skip, trace.decision?.predicted?.[i], i, policy.rungs.length)) {
      if (trace.decision) trace.decision.skippedRungs = [...(trace.decision.skippedRungs ?? []), i];
      continue;
    }
    const checksConfidence = policy.route === 'cascade' && !isLast && rung.confidence !== null;
    const logprobSource = checksConfidence && rung.confidence !== 'self_check' && rung.confidence !== 'judge';
    const scored = checksConfidence && (rung.confidence === 'self_check' || rung.confidence === 'judge');
    const checks = policy.responseSchema !== null || checksConfidence;
    // Lean: the check runs inside the local activity of the call that completes what it reads
    // (the answer's own call, or the scorer's), not as a local activity of its own.
    const fold = ctx.policy.execution === 'lean' && checks;
    const confidenceSpec = checksConfidence
      ? { source: rung.confidence!, calibration: rung.calibration, threshold: rung.threshold ?? 1 }
      : null;

    const call = await callWithRetries(ctx, {
      rung: i,
      model: rung,
      purpose: answerPurpose,
      messages: request.messages,
      logprobs: logprobSource,
      topLogprobs: logprobSource ? 1 : undefined,
      responseSchema: policy.responseSchema,
      ...(fold && !scored
        ? {
            check: {
              role: 'answer',
              responseSchema: policy.responseSchema,
              confidence: confidenceSpec,
            },
          }
        : {}),
    });
    if (!call.ok) {
      escalate(ctx, i, call.reason);
      if (call.reason === 'spend_cap') {
        stoppedBy = call.message;
        break;
      }
      continue;
    }
    const answer = call.result.answer;
    if (policy.route === 'static') {
      accept(ctx, i, answer);
      break;
    }

    // A second call scores the answer: a self-check by the same model, or a judge model.
    let selfCheckLogprobs: TokenLogprob[] | null = null;
    let judgeReply: string | null = null;
    let folded: CheckOutput | null = call.result.checked ?? null;
    if (scored) {
      const isJudge = rung.confidence === 'judge';
      const scorer = isJudge ? rung.judge! : rung;
      const scoring = await callWithRetries(ctx, {
        rung: i,
        model: scorer,
        purpose: isJudge ? 'judge' : 'self_check',
        messages: isJudge
          ? buildJudgeMessages(lastUser(request.messages), answer)
          : selfCheckMessages(request.messages, answer),
        logprobs: !isJudge,
        topLogprobs: isJudge ? undefined : 5,
        ...(fold
          ? {
              check: {
                role: isJudge ? 'judge' : 'self_check',
                answer,
                answerLogprobs: call.result.logprobs,
                responseSchema: policy.responseSchema,
                confidence: confidenceSpec,
              },
            }
          : {}),
      });
      if (!scoring.ok) {
        if (scoring.reason === 'spend_cap') {
          escalate(ctx, i, 'spend_cap');
          fallback = { rung: i, answer };
          stoppedBy = scoring.message;
          break;
        }
        escalate(ctx, i, 'rung_failed');
        continue;
      }
      if (isJudge) judgeReply = scoring.result.answer;
      else selfCheckLogprobs = scoring.result.logprobs;
      folded = scoring.result.checked ?? null;
    }

    if (!checks) {
      accept(ctx, i, answer);
      break;
    }
    let out = folded;
    if (!out) {
      countLocalActivity(ctx);
      out = await local.checkAnswer({
        answer,
        responseSchema: policy.responseSchema,
        confidence: confidenceSpec
          ? { ...confidenceSpec, logprobs: call.result.logprobs, selfCheckLogprobs, judgeReply }
          : null,
      });
    }
    if (out.schema) {
      trace.checks.push({
        rung: i,
        model: rung.model,
        kind: 'schema',
        passed: out.schema.valid,
        errors: out.schema.errors,
      });
    }
    if (out.confidence) {
      trace.checks.push({
        rung: i,
        model: rung.model,
        kind: 'confidence',
        passed: out.confidence.passed,
        source: out.confidence.source,
        raw: out.confidence.raw,
        calibrated: out.confidence.calibrated,
        threshold: out.confidence.threshold,
        ...(out.confidence.detail ? { detail: out.confidence.detail } : {}),
      });
    }
    // The strongest rung's answer is served as it is (nothing stronger to escalate to), its
    // schema result on the record; otherwise a failed schema, then a failed confidence, escalates.
    const outcome = decideRung({
      isLast,
      schemaValid: out.schema ? out.schema.valid : null,
      confidencePassed: out.confidence ? out.confidence.passed : null,
    });
    if (outcome.action === 'escalate') {
      fallback = { rung: i, answer };
      escalate(ctx, i, outcome.reason);
      continue;
    }
    accept(ctx, i, answer);
    break;
  }

  if (trace.status !== 'answered') {
    if (stoppedBy && fallback) {
      // The spend cap stopped escalation: serve the best answer there is rather than none.
      accept(ctx, fallback.rung, fallback.answer);
    } else {
      trace.status = 'failed';
      trace.error = stoppedBy ?? 'every rung failed';
    }
  }
}

function lastUser(messages: ChatMessage[]): string {
  return [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

function selfCheckMessages(messages: ChatMessage[], answer: string): ChatMessage[] {
  const at = messages.map((m) => m.role).lastIndexOf('user');
  return messages.map((m, i) =>
    i === at ? { role: 'user', content: buildSelfCheckPrompt(m.content, answer) } : m,
  );
}
