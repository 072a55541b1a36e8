/**
 * MT-Bench as recorded replies: RouteLLM's copy of the MT-Bench questions and GPT-4's
 * single-answer judgements of two models' answers (../shared/data/routellm/mt_bench, Apache-2.0,
 * read where it lies). Two files, recognised by their rows (not their names):
 *
 * - `question.jsonl`: `{ question_id, category, turns: [first, second] }`;
 * - `judgements.jsonl`: `{ question_id, model, judge: [judgeModel, promptName], user_prompt,
 *   judgment, score, turn }`, where `user_prompt` is the prompt the judge saw. For a single-turn
 *   judgement it holds the question and the assistant's answer between
 *   "[The Start of Assistant's Answer]" and "[The End of Assistant's Answer]".
 *
 * Each turn-1 single-answer judgement (prompt `single-v1`, or `single-math-v1`, whose judge also
 * saw a reference answer) yields two replies, keyed like every recorded reply by
 * sha256(system + last user message):
 *
 * - the ANSWER of `model` to the turn-1 question: system "" and the question as the user message;
 * - the JUDGEMENT by `judgeModel` (GPT-4, as `gpt-4`) of exactly that answer, in the documented
 *   judge form of src/request/router/judge.ts: system JUDGE_SYSTEM, user buildJudgeMessages(question,
 *   answer)[1].content; the reply is the recorded judgment text, whose last `[[N]]` is the score.
 *
 * Second-turn judgements (`*-multi-turn`) grade a conversation, not one prompt: skipped, counted.
 * Nothing is invented: the data has no token counts, latency or cost, so the server derives and
 * flags them. Pure parsing: dataset.ts reads the files and indexes what this returns.
 */
import { buildJudgeMessages, JUDGE_SYSTEM, parseJudgeScore } from '../../request/router/judge';

export type MtBenchFileKind = 'mt_bench_questions' | 'mt_bench_judgements';

/** MT-Bench judge prompts that grade one answer to one turn-1 question. */
export const SINGLE_TURN_JUDGE_PROMPTS: readonly string[] = ['single-v1', 'single-math-v1'];

export interface MtBenchQuestion {
  questionId: number;
  category: string;
  turns: string[];
}

/** One turn-1 single-answer judgement, as recorded. */
export interface MtBenchJudgement {
  questionId: number;
  /** The model whose answer was judged. */
  answerModel: string;
  judgeModel: string;
  /** The MT-Bench judge prompt: `single-v1` or `single-math-v1`. */
  judgeType: string;
  question: string;
  /** The reference answer the judge saw (`single-math-v1`), else undefined. */
  reference: string | undefined;
  answer: string;
  judgment: string;
  score: number;
}

/** What a judgement row yields: the two replies, or why it has none to serve. */
export type MtBenchRowResult = { kind: 'judgement'; judgement: MtBenchJudgement } | { kind: 'multi_turn' };

/** A recorded reply as dataset.ts indexes it: (model, system, prompt) -> answer. */
export interface MtBenchReply {
  model: string;
  rowId: string;
  system: string;
  prompt: string;
  answer: string;
  judgement?: { judgeType: string; score: number; questionId: number; answerModel: string };
}

const QUESTION = '[Question]\n';
const ANSWER_START = "\n\n[The Start of Assistant's Answer]\n";
const ANSWER_END = "\n[The End of Assistant's Answer]";
const REF_START = '\n\n[The Start of Reference Answer]\n';
const REF_END = '\n[The End of Reference Answer]';

/** Which MT-Bench file a row comes from, or null for any other shape. */
export function mtBenchKind(row: unknown): MtBenchFileKind | null {
  if (!isObject(row) || row.question_id === undefined) return null;
  if (Array.isArray(row.turns)) return 'mt_bench_questions';
  if (row.user_prompt !== undefined && row.judge !== undefined) return 'mt_bench_judgements';
  return null;
}

/** A question row; throws an Error naming the bad field. */
export function parseMtBenchQuestion(row: unknown): MtBenchQuestion {
  if (!isObject(row)) throw new Error('a row must be a JSON object');
  const { question_id: id, category, turns } = row;
  if (typeof id !== 'number' || !Number.isInteger(id)) throw new Error('"question_id" must be an integer');
  if (!Array.isArray(turns) || turns.length === 0 || !turns.every((t) => typeof t === 'string')) {
    throw new Error('"turns" must be a non-empty array of strings');
  }
  return { questionId: id, category: typeof category === 'string' ? category : '', turns: turns as string[] };
}

/**
 * A judgement row. `questions` (from question.jsonl, when loaded) must agree with the question
 * in the judge's prompt; without them the prompt's question is used. Throws an Error naming the
 * problem for a row that cannot be read as recorded.
 */
export function parseMtBenchJudgement(
  row: unknown,
  questions: ReadonlyMap<number, MtBenchQuestion>,
): MtBenchRowResult {
  if (!isObject(row)) throw new Error('a row must be a JSON object');
  const { question_id: id, model, judge, user_prompt: userPrompt, judgment, score, turn } = row;
  if (typeof id !== 'number' || !Number.isInteger(id)) throw new Error('"question_id" must be an integer');
  if (typeof model !== 'string' || model === '') throw new Error('"model" must be a non-empty string');
  if (!Array.isArray(judge) || judge.length !== 2 || !judge.every((j) => typeof j === 'string' && j !== '')) {
    throw new Error('"judge" must be [judgeModel, promptName]');
  }
  if (typeof userPrompt !== 'string') throw new Error('"user_prompt" must be a string');
  if (typeof judgment !== 'string') throw new Error('"judgment" must be a string');
  if (typeof score !== 'number' || !Number.isFinite(score)) throw new Error('"score" must be a number');
  const [judgeModel, judgeType] = judge as [string, string];
  if (turn !== 1 || judgeType.endsWith('-multi-turn')) return { kind: 'multi_turn' };
  if (!SINGLE_TURN_JUDGE_PROMPTS.includes(judgeType)) {
    throw new Error(
      `unknown MT-Bench judge prompt ${JSON.stringify(judgeType)} for turn 1 (known: ${SINGLE_TURN_JUDGE_PROMPTS.join(', ')})`,
    );
  }
  const parts = splitSingleAnswerPrompt(userPrompt, questions.get(id)?.turns[0]);
  // The served reply is the judgment text; the score a client parses from it must be the recorded one.
  const parsed = parseJudgeScore(judgment);
  if (parsed !== score) {
    throw new Error(
      `the judgment's last [[N]] is ${parsed === null ? 'missing' : parsed}, but the recorded score is ${score}`,
    );
  }
  return {
    kind: 'judgement',
    judgement: { questionId: id, answerModel: model, judgeModel, judgeType, ...parts, judgment, score },
  };
}

/**
 * The question, reference answer (if any) and assistant's answer of a single-answer judge
 * prompt. `knownQuestion`, when given, must be the prompt's question exactly.
 */
export function splitSingleAnswerPrompt(
  userPrompt: string,
  knownQuestion?: string,
): { question: string; reference: string | undefined; answer: string } {
  const q = userPrompt.indexOf(QUESTION);
  const a = userPrompt.indexOf(ANSWER_START);
  if (q < 0 || a < 0 || !userPrompt.endsWith(ANSWER_END)) {
    throw new Error(
      "user_prompt is not a single-answer judge prompt ([Question] ... [The End of Assistant's Answer])",
    );
  }
  if (userPrompt.indexOf(ANSWER_START, a + 1) >= 0) {
    throw new Error(
      "user_prompt has more than one [The Start of Assistant's Answer]: the answer is ambiguous",
    );
  }
  const answer = userPrompt.slice(a + ANSWER_START.length, userPrompt.length - ANSWER_END.length);
  let head = userPrompt.slice(q + QUESTION.length, a);
  let reference: string | undefined;
  const r = head.indexOf(REF_START);
  if (r >= 0) {
    if (!head.endsWith(REF_END)) throw new Error('user_prompt has an unterminated reference answer');
    reference = head.slice(r + REF_START.length, head.length - REF_END.length);
    head = head.slice(0, r);
  }
  if (knownQuestion !== undefined && head !== knownQuestion) {
    throw new Error("the question in user_prompt differs from question.jsonl's first turn");
  }
  return { question: head, reference, answer };
}

/** The two replies of a judgement: the model's answer and the judge's grading of it. */
export function mtBenchReplies(j: MtBenchJudgement): { answer: MtBenchReply; judge: MtBenchReply } {
  const judgeUser = buildJudgeMessages(j.question, j.answer)[1]!.content;
  return {
    answer: {
      model: j.answerModel,
      rowId: `mt-bench-${j.questionId}`,
      system: '',
      prompt: j.question,
      answer: j.answer,
    },
    judge: {
      model: j.judgeModel,
      rowId: `mt-bench-${j.questionId}:${j.answerModel}:${j.judgeType}`,
      system: JUDGE_SYSTEM,
      prompt: judgeUser,
      answer: j.judgment,
      judgement: {
        judgeType: j.judgeType,
        score: j.score,
        questionId: j.questionId,
        answerModel: j.answerModel,
      },
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
