import { type OpenAiStub, startOpenAiStub } from '@gatehouse/testing/openai-stub';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../targets/retry';
import { type TargetContext } from '../targets/target-context';
import { rubricJudge } from './rubric-judge';
import { JudgeError, type ScoreContext } from './scorer';

const context: TargetContext = { env: { OPENAI_API_KEY: 'sk-test' }, baseDir: '.', cassetteDir: '.' };
const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };
const scoreContext: ScoreContext = {
  item: { id: 'a', input: 'question', expected: 'reference' },
  prompt: 'question',
  output: 'answer',
  call: { latencyMs: 1, inputTokens: null, outputTokens: null, costUsd: null },
  signal: new AbortController().signal,
};

describe('rubric_judge: a failing judge errors the item, an off-scale one leaves it unscored', () => {
  const stubs: OpenAiStub[] = [];
  const judgeAt = async (reply: string | null) => {
    const stub = await startOpenAiStub(reply === null ? { serverErrorRate: 1 } : { respond: () => reply });
    stubs.push(stub);
    return { model: `judge-${stubs.length}`, baseUrl: stub.url, temperature: 0, apiKeyEnv: 'OPENAI_API_KEY' };
  };
  const verdict = (score: number) => JSON.stringify({ score, reasoning: 'because' });

  afterAll(() => Promise.all(stubs.map((s) => s.close())));

  const judge = async (judges: Awaited<ReturnType<typeof judgeAt>>[]) =>
    rubricJudge(
      {
        type: 'rubric_judge',
        rubric: 'Is it right?',
        scale: { min: 1, max: 5 },
        allowTargetAsJudge: false,
        includeExpected: true,
        weight: 1,
        ...(judges.length === 1 ? { judge: judges[0] } : { panel: judges }),
      } as Parameters<typeof rubricJudge>[0],
      context,
      {},
      policy,
    );

  it('grades with a working judge', async () => {
    const score = await (await judge([await judgeAt(verdict(4))])).score(scoreContext);
    expect(score).toMatchObject({ value: 0.75, passed: true });
  });

  it('throws JudgeError with the status when the judge answers 500 after retries', async () => {
    const down = await judgeAt(null);
    const error = await (await judge([down])).score(scoreContext).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JudgeError);
    expect(error).toMatchObject({
      message: expect.stringMatching(/^judge judge-\d+ failed: server error \(500\)/),
      details: { status: 500 },
    });
    expect(stubs.at(-1)?.faults.serverErrors).toBe(2);
  });

  it('throws JudgeError when the verdict cannot be read', async () => {
    const error = await (
      await judge([await judgeAt('not json at all')])
    )
      .score(scoreContext)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JudgeError);
    expect((error as Error).message).toMatch(/^judge judge-\d+ failed: /);
  });

  it('leaves the item unscored when the judge answers off the scale', async () => {
    const score = await (await judge([await judgeAt(verdict(9))])).score(scoreContext);
    expect(score).toMatchObject({
      value: null,
      passed: null,
      explanation: expect.stringMatching(/gave 9, outside 1-5/),
    });
  });

  it('lets the judges of a panel that answered decide when one is down', async () => {
    const score = await (await judge([await judgeAt(null), await judgeAt(verdict(5))])).score(scoreContext);
    expect(score).toMatchObject({ value: 1, passed: true, ratings: [null, 5] });
  });
});
