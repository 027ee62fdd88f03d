import {
  DEFAULT_LIVE_SETTINGS,
  type LiveSettings,
  liveSettingsChangeNeedsReason,
  liveSettingsProblems,
  liveWatchWeakenings,
} from './live-settings';

const valid = (): LiveSettings => ({
  ...DEFAULT_LIVE_SETTINGS,
  drift: { ...DEFAULT_LIVE_SETTINGS.drift },
});
const fieldsOf = (value: unknown, extra: string[] = []) =>
  liveSettingsProblems(value, extra).map((p) => `${p.field}: ${p.code}`);

describe('live settings validation', () => {
  it('accepts the defaults, the bounds and a null re-evaluation schedule', () => {
    expect(liveSettingsProblems(valid())).toEqual([]);
    expect(
      liveSettingsProblems({
        sampleRate: 0,
        captureText: true,
        redactPii: false,
        retentionDays: 1,
        judgeCallsPerDay: 0,
        reevaluateEveryDays: 1,
        drift: { windowDays: 1, minCases: 10, rateMargin: 0, lengthRatio: 1.1 },
      }),
    ).toEqual([]);
    expect(
      liveSettingsProblems({
        ...valid(),
        sampleRate: 1,
        retentionDays: 365,
        judgeCallsPerDay: 10_000,
        reevaluateEveryDays: 365,
        drift: { windowDays: 90, minCases: 10_000, rateMargin: 0.2, lengthRatio: 10 },
      }),
    ).toEqual([]);
  });

  it.each<[string, Partial<LiveSettings> | Record<string, unknown>, string]>([
    ['sample rate above 1', { sampleRate: 1.01 }, 'sampleRate: out_of_range'],
    ['negative sample rate', { sampleRate: -0.1 }, 'sampleRate: out_of_range'],
    ['NaN sample rate', { sampleRate: Number.NaN }, 'sampleRate: invalid_type'],
    ['infinite sample rate', { sampleRate: Number.POSITIVE_INFINITY }, 'sampleRate: invalid_type'],
    ['sample rate as text', { sampleRate: '0.5' }, 'sampleRate: invalid_type'],
    ['retention of 0 days', { retentionDays: 0 }, 'retentionDays: out_of_range'],
    ['retention over a year', { retentionDays: 366 }, 'retentionDays: out_of_range'],
    ['fractional retention', { retentionDays: 1.5 }, 'retentionDays: invalid_type'],
    ['too many judge calls', { judgeCallsPerDay: 10_001 }, 'judgeCallsPerDay: out_of_range'],
    ['negative judge calls', { judgeCallsPerDay: -1 }, 'judgeCallsPerDay: out_of_range'],
    ['re-evaluation every 0 days', { reevaluateEveryDays: 0 }, 'reevaluateEveryDays: out_of_range'],
    ['capture text as a string', { captureText: 'yes' }, 'captureText: invalid_type'],
    ['redaction as a number', { redactPii: 1 }, 'redactPii: invalid_type'],
    ['drift as an array', { drift: [] }, 'drift: invalid_type'],
  ])('refuses %s', (_name, change, expected) => {
    expect(fieldsOf({ ...valid(), ...change })).toEqual([expected]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a window of 91 days', { windowDays: 91 }, 'drift.windowDays: out_of_range'],
    ['fewer than 10 cases', { minCases: 9 }, 'drift.minCases: out_of_range'],
    ['more than 10,000 cases', { minCases: 10_001 }, 'drift.minCases: out_of_range'],
    ['a margin above 20 points', { rateMargin: 0.21 }, 'drift.rateMargin: out_of_range'],
    ['a length ratio of 1', { lengthRatio: 1 }, 'drift.lengthRatio: out_of_range'],
    ['a length ratio over 10', { lengthRatio: 10.5 }, 'drift.lengthRatio: out_of_range'],
    ['an unknown drift field', { topicLabels: true }, 'drift.topicLabels: unknown_field'],
  ])('refuses a drift policy with %s', (_name, change, expected) => {
    expect(fieldsOf({ ...valid(), drift: { ...valid().drift, ...change } })).toEqual([expected]);
  });

  it('names every missing field, and every unknown one', () => {
    expect(fieldsOf({ drift: {}, retentionPolicy: 'forever' })).toEqual([
      'retentionPolicy: unknown_field',
      'sampleRate: required',
      'captureText: required',
      'redactPii: required',
      'retentionDays: required',
      'judgeCallsPerDay: required',
      'reevaluateEveryDays: required',
      'drift.windowDays: required',
      'drift.minCases: required',
      'drift.rateMargin: required',
      'drift.lengthRatio: required',
    ]);
  });

  it('lets the caller name keys it reads itself', () => {
    expect(fieldsOf({ ...valid(), reason: 'why' })).toEqual(['reason: unknown_field']);
    expect(fieldsOf({ ...valid(), reason: 'why' }, ['reason'])).toEqual([]);
  });

  it.each([null, [], 'settings', 3])('refuses a body that is not an object: %p', (body) => {
    expect(fieldsOf(body)).toEqual(['(body): invalid_type']);
  });

  it('names at most 20 unknown keys, however many are sent', () => {
    const junk = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    expect(liveSettingsProblems({ ...valid(), ...junk })).toHaveLength(20);
  });
});

describe('when a change of live settings needs a reason', () => {
  const with_ = (captureText: boolean, redactPii: boolean, sampleRate = 0.1): LiveSettings => ({
    ...valid(),
    captureText,
    redactPii,
    sampleRate,
  });
  it.each<[string, LiveSettings, LiveSettings, boolean]>([
    ['turning redaction off while capturing', with_(true, true), with_(true, false), true],
    ['turning capture on without redaction', with_(false, false), with_(true, false), true],
    ['turning both at once from the defaults', with_(false, true), with_(true, false), true],
    ['keeping it unredacted (already decided)', with_(true, false), with_(true, false), false],
    // The sampled share's text is kept (unredacted) until it is scored.
    ['turning redaction off with no capture, while sampling', with_(false, true), with_(false, false), true],
    [
      'turning redaction off with no capture and no sample',
      with_(false, true, 0),
      with_(false, false, 0),
      false,
    ],
    ['starting to sample with redaction off', with_(false, false, 0), with_(false, false), true],
    ['turning redaction back on', with_(true, false), with_(true, true), false],
  ])('%s → %s', (_name, before, after, expected) => {
    expect(liveSettingsChangeNeedsReason(before, after)).toBe(expected);
  });
});

describe('liveWatchWeakenings', () => {
  const base = { ...DEFAULT_LIVE_SETTINGS, sampleRate: 0.5, judgeCallsPerDay: 100, reevaluateEveryDays: 7 };
  it.each([
    ['nothing changed', {}, []],
    [
      'more sampling, more often, tighter drift',
      { sampleRate: 1, reevaluateEveryDays: 3, drift: { ...base.drift, minCases: 50, rateMargin: 0.01 } },
      [],
    ],
    ['less sampling', { sampleRate: 0.1 }, ['sampleRate']],
    ['fewer model-judge calls a day', { judgeCallsPerDay: 10 }, ['judgeCallsPerDay']],
    ['re-evaluation stopped', { reevaluateEveryDays: null }, ['reevaluateEveryDays']],
    ['re-evaluation less often', { reevaluateEveryDays: 30 }, ['reevaluateEveryDays']],
    ['a shorter drift window', { drift: { ...base.drift, windowDays: 1 } }, ['drift.windowDays']],
    ['a longer drift window', { drift: { ...base.drift, windowDays: 90 } }, ['drift.windowDays']],
    [
      'drift needing more to alert',
      { drift: { ...base.drift, minCases: 5_000, rateMargin: 0.2, lengthRatio: 10 } },
      ['drift.minCases', 'drift.rateMargin', 'drift.lengthRatio'],
    ],
  ])('%s', (_what, change, expected) => {
    expect(liveWatchWeakenings(base, { ...base, ...change } as LiveSettings)).toEqual(expected);
  });

  it('a schedule set for the first time weakens nothing', () => {
    expect(liveWatchWeakenings({ ...base, reevaluateEveryDays: null }, base)).toEqual([]);
  });
});
