/**
 * Reading MT-Bench (data/routellm/mt_bench: RouteLLM, Apache-2.0, shipped with the project) in tests, independently of the recorded-model server's own parser: the questions, the
 * judgements, and the answer each judgement graded.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { shippedData } from './data';

export const MT_BENCH = shippedData('routellm', 'mt_bench');

export interface Judgement {
  question_id: number;
  model: string;
  judge: [string, string];
  user_prompt: string;
  judgment: string;
  score: number;
  turn: number;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Each question's turns, by question id. */
export const mtBenchQuestions = new Map(
  readJsonl<{ question_id: number; turns: string[] }>(path.join(MT_BENCH, 'question.jsonl')).map((q) => [
    q.question_id,
    q.turns,
  ]),
);

export const mtBenchJudgements = readJsonl<Judgement>(path.join(MT_BENCH, 'judgements.jsonl'));

/** The answer the judge saw, cut out of its prompt. */
export function answerOf(j: Judgement): string {
  const start = "[The Start of Assistant's Answer]\n";
  const end = "\n[The End of Assistant's Answer]";
  return j.user_prompt.slice(j.user_prompt.indexOf(start) + start.length, j.user_prompt.lastIndexOf(end));
}
