/**
 * The recorded-model server serving MT-Bench (data/routellm/mt_bench, RouteLLM, Apache-2.0,
 * shipped with the project): the answers of Mixtral and GPT-4-1106 to turn-1 questions,
 * and GPT-4's recorded judgement of exactly those answers, asked in the judge form of
 * src/request/router/judge.ts, through the official OpenAI client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRecorded } from '../../src/cli/commands/recorded';
import { CliError, EXIT } from '../../src/cli/errors';
import { DatasetError, loadDataset, promptKey } from '../../src/tools/recorded-models/dataset';
import { startRecordedServer, type RecordedServer } from '../../src/tools/recorded-models/server';
import { buildJudgeMessages, JUDGE_SYSTEM, parseJudgeScore } from '../../src/request/router/judge';
import { answerOf, MT_BENCH, mtBenchJudgements, mtBenchQuestions, type Judgement } from '../helpers/mt-bench';

const MIXTRAL = 'mistralai/Mixtral-8x7B-Instruct-v0.1';
const GPT4_1106 = 'gpt-4-1106-preview';
const JUDGE = 'gpt-4';

const questions = mtBenchQuestions;
const judgements = mtBenchJudgements;

function singleTurn(model: string, type = 'single-v1'): Judgement[] {
  return judgements.filter((j) => j.model === model && j.turn === 1 && j.judge[1] === type);
}
const questionOf = (j: Judgement): string => questions.get(j.question_id)![0]!;

let server: RecordedServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startRecordedServer({ dataFiles: [MT_BENCH], latencyScale: 0 });
  client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'test', maxRetries: 0 });
});
afterAll(async () => server?.close());

describe('MT-Bench data (what the server is built on)', () => {
  it('has two judged models, the gpt-4 judge, and single- and multi-turn judge prompts', () => {
    expect([...new Set(judgements.map((j) => j.model))].sort()).toEqual([GPT4_1106, MIXTRAL]);
    expect(new Set(judgements.map((j) => j.judge[0]))).toEqual(new Set([JUDGE]));
    expect([...new Set(judgements.map((j) => `${j.judge[1]}@${j.turn}`))].sort()).toEqual([
      'single-math-v1-multi-turn@2',
      'single-math-v1@1',
      'single-v1-multi-turn@2',
      'single-v1@1',
    ]);
    // Every recorded judgment carries its recorded score as its last [[N]].
    for (const j of judgements) expect(parseJudgeScore(j.judgment)).toBe(j.score);
  });

  it('indexes the folder: an answer and a judgement per turn-1 judgement, multi-turn ones skipped', async () => {
    const ds = await loadDataset([MT_BENCH]);
    expect(ds.files.map((f) => path.basename(f))).toEqual(['judgements.jsonl', 'question.jsonl']);
    expect(ds.models()).toEqual([JUDGE, GPT4_1106, MIXTRAL]);
    expect(ds.judgeModels()).toEqual([JUDGE]);
    const turn1 = judgements.filter((j) => j.turn === 1).length;
    expect(ds.stats).toMatchObject({
      rows: judgements.length + questions.size,
      servable: 2 * turn1,
      duplicates: 0,
      skippedMultiTurn: judgements.length - turn1,
    });
    expect(ds.replyCount(MIXTRAL)).toBe(questions.size);
    expect(ds.replyCount(JUDGE)).toBe(turn1);
    // The two files given one by one load the same.
    const files = await loadDataset([
      path.join(MT_BENCH, 'question.jsonl'),
      path.join(MT_BENCH, 'judgements.jsonl'),
    ]);
    expect(files.stats).toEqual(ds.stats);
  });
});

describe('MT-Bench rows the loader refuses', () => {
  it('names the file and line of a judgement whose text does not carry its recorded score', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'recorded-judge-bad-'));
    try {
      const row = (score: number, judgment: string) =>
        JSON.stringify({
          question_id: 1,
          model: 'm',
          judge: ['j', 'single-v1'],
          user_prompt:
            "[Instruction]\nGrade.\n\n[Question]\nQ?\n\n[The Start of Assistant's Answer]\nA.\n[The End of Assistant's Answer]",
          judgment,
          score,
          turn: 1,
        });
      const file = path.join(dir, 'judgements.jsonl');
      writeFileSync(file, [row(5, 'Fine. Rating: [[5]]'), row(6, 'Fine. Rating: [[5]]')].join('\n'));
      const err = await loadDataset([dir]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).message).toContain(`${file}:2:`);
      expect((err as DatasetError).message).toMatch(/recorded score is 6/);
      // Without question.jsonl the question comes from the judge's prompt.
      writeFileSync(file, row(5, 'Fine. Rating: [[5]]'));
      const ds = await loadDataset([file]);
      expect(ds.models()).toEqual(['j', 'm']);
      expect(ds.lookup('m', promptKey('', 'Q?'))?.answer).toBe('A.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('recorded-model server on an MT-Bench folder, with the official OpenAI client', () => {
  it('lists the judged models and the judge', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([JUDGE, GPT4_1106, MIXTRAL]);
  });

  for (const model of [MIXTRAL, GPT4_1106]) {
    it(`serves ${model}'s recorded answer to a turn-1 question, usage and latency flagged as derived`, async () => {
      const j = singleTurn(model)[0]!;
      const { data, response } = await client.chat.completions
        .create({ model, messages: [{ role: 'user', content: questionOf(j) }] })
        .withResponse();
      expect(data.model).toBe(model);
      expect(data.choices[0]?.message.content).toBe(answerOf(j));
      expect(data.usage?.completion_tokens).toBeGreaterThan(0);
      expect(response.headers.get('x-recorded-derived')?.split(',')).toEqual([
        'usage.prompt_tokens',
        'usage.completion_tokens',
        'latency',
      ]);
      expect(response.headers.get('x-recorded-cost-usd')).toBeNull();
      expect(response.headers.get('x-recorded-judge-prompt')).toBeNull();
      // An empty system message is the same prompt ("" + question).
      const again = await client.chat.completions.create({
        model,
        messages: [
          { role: 'system', content: '' },
          { role: 'user', content: questionOf(j) },
        ],
      });
      expect(again.choices[0]?.message.content).toBe(answerOf(j));
    });
  }

  it("serves gpt-4's recorded judgement of mixtral's answer, with the recorded score", async () => {
    const j = singleTurn(MIXTRAL).find((x) => x.score < 7)!;
    const messages = buildJudgeMessages(questionOf(j), answerOf(j));
    expect(messages[0]!.content).toBe(JUDGE_SYSTEM);
    const { data, response } = await client.chat.completions
      .create({ model: JUDGE, messages })
      .withResponse();
    expect(data.model).toBe(JUDGE);
    const content = data.choices[0]?.message.content ?? '';
    expect(content).toBe(j.judgment);
    expect(parseJudgeScore(content)).toBe(j.score);
    expect(response.headers.get('x-recorded-judge-prompt')).toBe('single-v1');
    expect(response.headers.get('x-recorded-row-id')).toBe(`mt-bench-${j.question_id}:${MIXTRAL}:single-v1`);
    expect(response.headers.get('x-recorded-derived')?.split(',')).toEqual([
      'usage.prompt_tokens',
      'usage.completion_tokens',
      'latency',
    ]);
  });

  it("serves gpt-4's judgement of gpt-4-1106's answer, and a math judgement made with a reference answer", async () => {
    for (const j of [singleTurn(GPT4_1106)[1]!, singleTurn(GPT4_1106, 'single-math-v1')[0]!]) {
      const { data, response } = await client.chat.completions
        .create({ model: JUDGE, messages: buildJudgeMessages(questionOf(j), answerOf(j)) })
        .withResponse();
      expect(data.choices[0]?.message.content).toBe(j.judgment);
      expect(parseJudgeScore(data.choices[0]?.message.content ?? '')).toBe(j.score);
      expect(response.headers.get('x-recorded-judge-prompt')).toBe(j.judge[1]);
    }
  });

  it('answers an unknown (question, answer) pair, another judge or another system with 404', async () => {
    const [a, b] = singleTurn(MIXTRAL);
    const notFound = async (
      model: string,
      messages: OpenAI.ChatCompletionMessageParam[],
    ): Promise<InstanceType<typeof OpenAI.NotFoundError>> => {
      const err = await client.chat.completions.create({ model, messages }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      const apiErr = err as InstanceType<typeof OpenAI.NotFoundError>;
      expect(apiErr.status).toBe(404);
      expect(apiErr.code).toBe('recorded_not_found');
      return apiErr;
    };
    // a's question with b's answer: never judged.
    const crossed = await notFound(JUDGE, buildJudgeMessages(questionOf(a!), answerOf(b!)));
    expect(crossed.message).toMatch(/never judged/);
    // The answer changed by one character (trimmed): never judged either.
    await notFound(JUDGE, buildJudgeMessages(questionOf(a!), answerOf(a!).trim()));
    // A real pair sent to a model that judged nothing.
    const otherJudge = await notFound(GPT4_1106, buildJudgeMessages(questionOf(a!), answerOf(a!)));
    expect(otherJudge.message).toContain('the recorded judges are "gpt-4"');
    // A real pair under another system message.
    const [, user] = buildJudgeMessages(questionOf(a!), answerOf(a!));
    const otherSystem = await notFound(JUDGE, [{ role: 'system', content: 'Grade this.' }, user!]);
    expect(otherSystem.message).toMatch(/JUDGE_SYSTEM/);
    // The judge is no answering model, and second turns are not served as prompts.
    await notFound(JUDGE, [{ role: 'user', content: questionOf(a!) }]);
    await notFound(MIXTRAL, [{ role: 'user', content: questions.get(a!.question_id)![1]! }]);
  });
});

describe('cascade recorded --data <folder>', () => {
  it('rejects a folder without .jsonl files with a usage error naming it', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'recorded-judge-empty-'));
    try {
      const program = new Command('cascade').exitOverride();
      registerRecorded(program);
      const err = await program
        .parseAsync(['node', 'cascade', 'recorded', '--data', empty, '--port', '0'])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(EXIT.usage);
      expect((err as CliError).message).toContain(empty);
      expect((err as CliError).message).toMatch(/no \.jsonl data files/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
