import { getEventListeners } from 'node:events';
import { callWithRetries, DEFAULT_RETRY_POLICY, isFailure, type RetryPolicy } from './retry';
import { type Target, TargetError, type TargetRequest } from './target';

const request: TargetRequest = {
  messages: [{ role: 'user', content: 'hi' }],
  prompt: 'hi',
  item: { id: 'a', input: 'hi' },
  epoch: 1,
};
const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 5_000 };

/** A target that throws the given errors in turn, then answers. */
function flaky(errors: unknown[]): Target & { calls: number } {
  const target = {
    type: 'fake',
    description: 'fake',
    fingerprint: {},
    provider: 'fake',
    calls: 0,
    call: () => {
      const error = errors[target.calls];
      target.calls += 1;
      return error === undefined ? Promise.resolve({ output: 'ok' }) : Promise.reject(error);
    },
  };
  return target;
}

const connectionError = (cause: Record<string, unknown>) =>
  Object.assign(new Error('Connection error.'), { cause: Object.assign(new Error('x'), cause) });
const refused = connectionError({ code: 'ECONNREFUSED', address: '127.0.0.1', port: 4199 });
const notFound = connectionError({ code: 'ENOTFOUND', hostname: 'api.exmaple.com' });
const rateLimited = new TargetError('rate_limited', 'rate limited (429)', { status: 429, retryAfterMs: 20 });
const serverError = new TargetError('server_error', 'server error (500)', { status: 500 });

describe('callWithRetries', () => {
  it('counts retries by their cause and the time waited on 429s', async () => {
    const target = flaky([rateLimited, serverError, rateLimited]);
    const outcome = await callWithRetries(target, request, policy, new AbortController().signal, {
      random: () => 0,
    });
    expect(isFailure(outcome)).toBe(false);
    expect(outcome).toMatchObject({
      attempts: 4,
      retries: { byKind: { rate_limited: 2, server_error: 1 }, rateLimitWaitMs: 40 },
    });
  });

  it.each([
    ['a refused connection is tried twice', refused, 2],
    ['a name that does not resolve once', notFound, 1],
    ['a server error up to the policy', serverError, policy.maxAttempts],
  ])('%s', async (_, error, attempts) => {
    const target = flaky(Array.from({ length: 10 }, () => error));
    const outcome = await callWithRetries(target, request, policy, new AbortController().signal);
    expect(isFailure(outcome) && outcome.attempts).toBe(attempts);
    expect(target.calls).toBe(attempts);
  });

  it('adds one abort listener to the run signal however many calls back off at once', async () => {
    const controller = new AbortController();
    const slow = { ...policy, baseDelayMs: 50, maxDelayMs: 50 };
    const calls = Array.from({ length: 30 }, () =>
      callWithRetries(flaky([serverError, serverError]), request, slow, controller.signal, {
        random: () => 1,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20)); // every call is now waiting to retry
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(2);
    controller.abort();
    const outcomes = await Promise.all(calls);
    expect(outcomes.every((o) => isFailure(o) && o.error.kind === 'cancelled')).toBe(true);
  });
});
