import { FailFast, type FailFastOutcome, fatalSignature } from './fail-fast';

const scored: FailFastOutcome = { status: 'scored', error: null };
const err = (error: NonNullable<FailFastOutcome['error']>): FailFastOutcome => ({ status: 'errored', error });
const key401 = err({
  kind: 'client_error',
  message: 'refused (401): Incorrect API key provided.',
  status: 401,
});
const refused = err({
  kind: 'network',
  message: 'connection failed: nothing listening on 127.0.0.1:4199 (ECONNREFUSED)',
  code: 'ECONNREFUSED',
});
const notFound = err({
  kind: 'network',
  message: 'name not resolved: api.exmaple.com (ENOTFOUND)',
  code: 'ENOTFOUND',
});
const server = err({ kind: 'server_error', message: 'server error (500): boom', status: 500 });
const cancelled = err({ kind: 'cancelled', message: 'the run was cancelled' });

/** Feeds the records in order; the index (1-based) of the record that said stop, and the reason. */
function run(failFast: FailFast, records: FailFastOutcome[]): { at: number | null; reason: string | null } {
  for (const [i, record] of records.entries()) {
    const reason = failFast.record(record);
    if (reason !== null) {
      return { at: i + 1, reason };
    }
  }
  return { at: null, reason: null };
}

const times = (n: number, record: FailFastOutcome) => Array.from({ length: n }, () => record);

describe('FailFast', () => {
  it.each<[string, { after?: number; total?: number }, FailFastOutcome[], number | null]>([
    ['10 × 401 stops at the 10th', {}, times(12, key401), 10],
    ['9 × 401 is not enough by default', {}, times(9, key401), null],
    ['a scored item first settles it: the run goes on', {}, [scored, ...times(20, key401)], null],
    [
      'a scored item among the first 10 settles it',
      {},
      [...times(5, key401), scored, ...times(20, key401)],
      null,
    ],
    [
      'two fatal errors of different statuses settle it',
      { after: 3 },
      [key401, key401, err({ kind: 'client_error', message: 'refused (403): no access', status: 403 })],
      null,
    ],
    ['ECONNREFUSED stops', { after: 3 }, times(3, refused), 3],
    ['ENOTFOUND stops', { after: 3 }, times(3, notFound), 3],
    ['refused then not resolved is not "the same way"', { after: 3 }, [refused, notFound, refused], null],
    ['5xx are retried, never stop a run', { after: 3 }, times(10, server), null],
    [
      '429 does not stop a run',
      { after: 2 },
      times(5, err({ kind: 'rate_limited', message: '429', status: 429 })),
      null,
    ],
    [
      'a 400 may be the item (too long…): goes on',
      { after: 2 },
      times(5, err({ kind: 'client_error', message: 'refused (400)', status: 400 })),
      null,
    ],
    [
      'timeouts go on',
      { after: 2 },
      times(5, err({ kind: 'timeout', message: 'no answer within 30000 ms' })),
      null,
    ],
    [
      'an egress refusal stops',
      { after: 2 },
      times(2, err({ kind: 'configuration', message: 'refused by the egress policy: x' })),
      2,
    ],
    [
      'a judge refusing its key stops',
      { after: 2 },
      times(
        2,
        err({ kind: 'judge_error', message: 'quality: judge m failed: refused (401): bad key', status: 401 }),
      ),
      2,
    ],
    [
      'a judge answering 500 does not stop (the share threshold judges it)',
      { after: 2 },
      times(
        5,
        err({ kind: 'judge_error', message: 'quality: judge m failed: server error (500)', status: 500 }),
      ),
      null,
    ],
    ['cancelled records are ignored', { after: 3 }, [cancelled, key401, cancelled, key401, key401], 5],
    ['fewer items than the window: decides after all of them', { total: 3 }, times(3, key401), 3],
    ['after: 0 never stops', { after: 0 }, times(50, key401), null],
    ['a total of 0 never stops', { total: 0 }, times(5, key401), null],
  ])('%s', (_, options, records, at) => {
    expect(run(new FailFast(options), records).at).toBe(at);
  });

  it('says how many items and the first message, secrets removed, and keeps saying it', () => {
    const failFast = new FailFast({ after: 2 });
    const leaky = err({
      kind: 'client_error',
      message: 'refused (401): Incorrect API key provided: sk-abc123456789xyz.',
      status: 401,
    });
    expect(failFast.record(leaky)).toBeNull();
    const reason =
      'stopped after 2 items: every call failed the same way: refused (401): Incorrect API key provided: [redacted].';
    expect(failFast.record(leaky)).toBe(reason);
    expect(failFast.record(scored)).toBe(reason);
    expect(failFast.stopped).toBe(reason);
  });

  it('names one item in the singular', () => {
    expect(new FailFast({ after: 1 }).record(refused)).toBe(
      'stopped after 1 item: every call failed the same way: connection failed: nothing listening on 127.0.0.1:4199 (ECONNREFUSED)',
    );
  });

  it.each([
    [{ kind: 'client_error', message: '', status: 404 }, 'client_error:404:'],
    [{ kind: 'network', message: '', code: 'ECONNRESET' }, null],
    [{ kind: 'replay_miss', message: '' }, null],
    [null, null],
  ] as const)('fatalSignature(%j) is %j', (error, expected) => {
    expect(fatalSignature(error)).toBe(expected);
  });
});
