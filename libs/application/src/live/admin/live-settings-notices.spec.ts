import { DEFAULT_LIVE_SETTINGS, type LiveSettings, type Stage } from '@gatehouse/domain';
import { watchWeakeningToTell } from './live-settings-notices';

const base: LiveSettings = {
  ...DEFAULT_LIVE_SETTINGS,
  sampleRate: 0.1,
  reevaluateEveryDays: 7,
  drift: { ...DEFAULT_LIVE_SETTINGS.drift },
};
const changed = (
  fields: Partial<LiveSettings>,
  drift: Partial<LiveSettings['drift']> = {},
): LiveSettings => ({
  ...base,
  ...fields,
  drift: { ...base.drift, ...drift },
});

describe('what the reviewers are told of a change of live settings', () => {
  it.each<[string, Stage, LiveSettings, LiveSettings]>([
    ['a weakening at test', 'test', base, changed({ sampleRate: 0 })],
    ['a weakening while proposed', 'proposed', base, changed({ sampleRate: 0 })],
    ['redaction off at test', 'test', base, changed({ redactPii: false })],
    ['more sampling at learn', 'learn', base, changed({ sampleRate: 0.5 })],
    ['more frequent re-evaluation at scale', 'scale', base, changed({ reevaluateEveryDays: 1 })],
    ['tighter drift thresholds at learn', 'learn', base, changed({}, { minCases: 50, rateMargin: 0.01 })],
    ['a longer retention at learn', 'learn', base, changed({ retentionDays: 90 })],
    ['redaction turned back on at learn', 'learn', changed({ redactPii: false }), base],
    ['no change at scale', 'scale', base, changed({})],
  ])('nothing for %s', (_name, stage, before, after) => {
    expect(watchWeakeningToTell(stage, before, after)).toBeNull();
  });

  it('each weakened setting at learn, before and after, in words', () => {
    const told = watchWeakeningToTell(
      'learn',
      base,
      changed(
        { sampleRate: 0.005, reevaluateEveryDays: null },
        { minCases: 1000, rateMargin: 0.05, lengthRatio: 4 },
      ),
    );
    expect(told).toEqual({
      watchWeakened: true,
      redactionOff: false,
      changes: [
        { setting: 'sampleRate', label: 'Share of traces scored online', before: '10%', after: '0.5%' },
        {
          setting: 'reevaluateEveryDays',
          label: 'Scheduled re-evaluation',
          before: 'every 7 days',
          after: 'never',
        },
        {
          setting: 'drift.minCases',
          label: 'Scored cases needed before drift can alert',
          before: '100',
          after: '1,000',
        },
        {
          setting: 'drift.rateMargin',
          label: 'Rise in the guardrail failure rate that alerts',
          before: '2 percentage points',
          after: '5 percentage points',
        },
        {
          setting: 'drift.lengthRatio',
          label: 'Change in input length that alerts',
          before: '2 times',
          after: '4 times',
        },
      ],
    });
  });

  it('redaction turned off at scale while text is stored, with what made the text stored', () => {
    expect(watchWeakeningToTell('scale', base, changed({ redactPii: false }))).toEqual({
      watchWeakened: false,
      redactionOff: true,
      changes: [
        { setting: 'redactPii', label: 'Redact personal data from stored text', before: 'on', after: 'off' },
      ],
    });
    // Redaction already off with nothing stored; sampling starts: the text of the sample is stored unredacted.
    const quiet = changed({ redactPii: false, sampleRate: 0 });
    expect(
      watchWeakeningToTell('learn', quiet, changed({ redactPii: false, sampleRate: 0.2 }))?.changes,
    ).toEqual([
      { setting: 'sampleRate', label: 'Share of traces scored online', before: '0%', after: '20%' },
    ]);
  });

  it('one day reads in the singular', () => {
    const told = watchWeakeningToTell(
      'learn',
      changed({ reevaluateEveryDays: 1 }),
      changed({ reevaluateEveryDays: 2 }),
    );
    expect(told?.changes[0]).toMatchObject({ before: 'every 1 day', after: 'every 2 days' });
  });
});
