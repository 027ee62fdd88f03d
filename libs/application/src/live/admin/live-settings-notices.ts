import {
  type LiveSettings,
  liveSettingsChangeNeedsReason,
  liveWatchWeakenings,
  type Stage,
} from '@gatehouse/domain';

/** One setting a change weakened, as a reviewer reads it. */
export interface SettingChange {
  /** The field's name in the live settings API (`drift.minCases`). */
  setting: string;
  label: string;
  before: string;
  after: string;
}

/** What a change of live settings weakened, to tell the use case's reviewers. */
export interface WatchWeakening {
  changes: SettingChange[];
  /** Less sampling, fewer re-evaluations or looser drift thresholds. */
  watchWeakened: boolean;
  /** Text starts being stored (or kept) with personal data in it. */
  redactionOff: boolean;
}

/** The stages whose watch the reviewers are told about: the pilot and wider use. */
const TOLD_AT: readonly Stage[] = ['learn', 'scale'];

const onOff = (value: boolean) => (value ? 'on' : 'off');
const plain = (value: number) => String(Number(value.toPrecision(6)));

type Setting =
  | 'sampleRate'
  | 'judgeCallsPerDay'
  | 'reevaluateEveryDays'
  | 'drift.windowDays'
  | 'drift.minCases'
  | 'drift.rateMargin'
  | 'drift.lengthRatio'
  | 'redactPii'
  | 'captureText';

/** Each setting's label and how its value reads. */
const SETTINGS: Record<Setting, { label: string; read: (s: LiveSettings) => string }> = {
  sampleRate: {
    label: 'Share of traces scored online',
    read: (s) => `${plain(s.sampleRate * 100)}%`,
  },
  judgeCallsPerDay: {
    label: 'Model-judge calls a day',
    read: (s) => (s.judgeCallsPerDay === 0 ? 'none' : s.judgeCallsPerDay.toLocaleString('en-GB')),
  },
  reevaluateEveryDays: {
    label: 'Scheduled re-evaluation',
    read: (s) =>
      s.reevaluateEveryDays === null
        ? 'never'
        : `every ${s.reevaluateEveryDays} day${s.reevaluateEveryDays === 1 ? '' : 's'}`,
  },
  'drift.windowDays': {
    label: 'Days of live use drift is measured over',
    read: (s) => `${s.drift.windowDays} day${s.drift.windowDays === 1 ? '' : 's'}`,
  },
  'drift.minCases': {
    label: 'Scored cases needed before drift can alert',
    read: (s) => s.drift.minCases.toLocaleString('en-GB'),
  },
  'drift.rateMargin': {
    label: 'Rise in the guardrail failure rate that alerts',
    read: (s) => `${plain(s.drift.rateMargin * 100)} percentage points`,
  },
  'drift.lengthRatio': {
    label: 'Change in input length that alerts',
    read: (s) => `${plain(s.drift.lengthRatio)} times`,
  },
  redactPii: { label: 'Redact personal data from stored text', read: (s) => onOff(s.redactPii) },
  captureText: { label: 'Keep prompts and completions', read: (s) => onOff(s.captureText) },
};

/**
 * What the use case's reviewers are told of a change of live settings, or null when nothing: at learn or
 * scale, a change that weakens the watch (`liveWatchWeakenings`) or starts storing text unredacted
 * (`liveSettingsChangeNeedsReason`), with each setting that did so before and after. A change at another
 * stage, or one that only strengthens the watch, tells nobody.
 */
export function watchWeakeningToTell(
  stage: Stage,
  before: LiveSettings,
  after: LiveSettings,
): WatchWeakening | null {
  if (!TOLD_AT.includes(stage)) {
    return null;
  }
  const weakened = liveWatchWeakenings(before, after) as Setting[];
  const redactionOff = liveSettingsChangeNeedsReason(before, after);
  if (weakened.length === 0 && !redactionOff) {
    return null;
  }
  const settings = new Set<Setting>(weakened);
  if (redactionOff) {
    // What made text be stored unredacted: redaction turned off, capture turned on, or sampling started.
    for (const key of ['redactPii', 'captureText', 'sampleRate'] as const) {
      if (before[key] !== after[key]) {
        settings.add(key);
      }
    }
  }
  const order = Object.keys(SETTINGS) as Setting[];
  return {
    changes: order
      .filter((key) => settings.has(key))
      .map((key) => ({
        setting: key,
        label: SETTINGS[key].label,
        before: SETTINGS[key].read(before),
        after: SETTINGS[key].read(after),
      })),
    watchWeakened: weakened.length > 0,
    redactionOff,
  };
}
