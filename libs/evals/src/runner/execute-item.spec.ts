import { JudgeError, type Scorer } from '../scorers/scorer';
import { DEFAULT_RETRY_POLICY } from '../targets/retry';
import { type Target, TargetError } from '../targets/target';
import { executeItem, type ItemPlan } from './execute-item';

const target: Target = {
  type: 'fake',
  description: 'fake',
  fingerprint: {},
  provider: 'fake',
  call: () => Promise.resolve({ output: 'the answer' }),
};

function scorer(name: string, score: Scorer['score']): Scorer {
  return {
    name,
    type: 'rubric_judge',
    version: '1',
    guardrail: false,
    weight: 1,
    kind: 'mean',
    fingerprint: {},
    applies: () => true,
    score,
  };
}

const plan = (scorers: Scorer[]): ItemPlan => ({
  target,
  scorers,
  prompt: { template: '{{input}}' },
  retryPolicy: { ...DEFAULT_RETRY_POLICY, onRateLimit: 'raise' },
  groupBy: [],
});

const item = { id: 'a', input: 'question' };
const judgeDown = () =>
  Promise.reject(new JudgeError('judge m failed: server error (500): boom', { status: 500 }));

describe('executeItem with a judge', () => {
  it('errors the item with judge_error when the judge fails, keeping the answer and the other scores', async () => {
    const record = await executeItem(
      plan([scorer('quality', judgeDown), scorer('exact', () => ({ value: 1, passed: true }))]),
      item,
      1,
      new AbortController().signal,
    );
    expect(record).toMatchObject({
      status: 'errored',
      output: 'the answer',
      error: {
        kind: 'judge_error',
        message: 'quality: judge m failed: server error (500): boom',
        status: 500,
      },
      scores: { quality: { passed: null }, exact: { passed: true } },
    });
  });

  it('leaves an off-scale verdict unscored and the item scored', async () => {
    const record = await executeItem(
      plan([
        scorer('quality', () => ({ value: null, passed: null, explanation: 'judge m gave 7, outside 1-5' })),
      ]),
      item,
      1,
      new AbortController().signal,
    );
    expect(record).toMatchObject({ status: 'scored', error: null, scores: { quality: { passed: null } } });
  });

  it('passes a judge’s 429 on as rate_limited (the platform pauses and retries the item)', async () => {
    const limited = () =>
      Promise.reject(
        new TargetError('rate_limited', 'rate limited (429): slow down', { status: 429, retryAfterMs: 3000 }),
      );
    const record = await executeItem(
      plan([scorer('quality', limited)]),
      item,
      1,
      new AbortController().signal,
    );
    expect(record.error).toEqual({
      kind: 'rate_limited',
      message: 'quality: the judge rate limited (429): slow down',
      retryAfterMs: 3000,
      status: 429,
    });
  });

  it('marks the item cancelled when the run is cancelled during judging', async () => {
    const cancelled = () => Promise.reject(new TargetError('cancelled', 'the run was cancelled'));
    const record = await executeItem(
      plan([scorer('quality', cancelled)]),
      item,
      1,
      new AbortController().signal,
    );
    expect(record.error?.kind).toBe('cancelled');
  });

  it('leaves any other scorer that throws unscored, the item scored', async () => {
    const broken = () => Promise.reject(new Error('bug'));
    const record = await executeItem(plan([scorer('x', broken)]), item, 1, new AbortController().signal);
    expect(record).toMatchObject({
      status: 'scored',
      scores: { x: { passed: null, explanation: 'the scorer failed: bug' } },
    });
  });
});
