import { DEFAULT_LIVE_SETTINGS, type LiveSettings } from '@gatehouse/domain';
import { type LiveSettingsEntity } from '@gatehouse/persistence';

/** A use case's live settings: its stored row, or the defaults when it never set any. */
export function liveSettingsOf(row: LiveSettingsEntity | null): LiveSettings {
  if (!row) {
    return { ...DEFAULT_LIVE_SETTINGS, drift: { ...DEFAULT_LIVE_SETTINGS.drift } };
  }
  return {
    sampleRate: row.sampleRate,
    captureText: row.captureText,
    redactPii: row.redactPii,
    retentionDays: row.retentionDays,
    judgeCallsPerDay: row.judgeCallsPerDay,
    reevaluateEveryDays: row.reevaluateEveryDays,
    drift: { ...DEFAULT_LIVE_SETTINGS.drift, ...row.drift },
  };
}

/**
 * The settings as online scoring applies them: the team's model-judge budget, but no more than the operator
 * allows any use case (`GATEHOUSE_LIVE_MAX_JUDGE_CALLS_PER_DAY`; a cap lowered after a team chose its
 * budget applies at once).
 */
export function judgeBudgetCapped(settings: LiveSettings, maxJudgeCallsPerDay: number): LiveSettings {
  return settings.judgeCallsPerDay > maxJudgeCallsPerDay
    ? { ...settings, judgeCallsPerDay: maxJudgeCallsPerDay }
    : settings;
}
