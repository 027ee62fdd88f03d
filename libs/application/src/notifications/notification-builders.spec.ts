import { type GateEvaluationEntity } from '@gatehouse/persistence';
import {
  awaitingApproval,
  configMismatch,
  evaluationRejected,
  evidenceExpiring,
  liveSettingsWeakened,
  personalisation,
  redactSecrets,
  runFailed,
  useCasePromoted,
  watchAlertOpened,
} from './notification-builders';

const useCase = { id: 'uc-1', name: 'Benefits triage', stage: 'test' as const, ownerTeamId: 'team-1' };
const weakening = {
  id: 'ch-1',
  changedBy: { id: 'u-1', name: 'Sam Patel' },
  changes: [
    { setting: 'sampleRate', label: 'Share of traces scored online', before: '10%', after: '1%' },
    {
      setting: 'reevaluateEveryDays',
      label: 'Scheduled re-evaluation',
      before: 'every 7 days',
      after: 'never',
    },
  ],
  watchWeakened: true,
  redactionOff: false,
  reason: 'Judge budget cut for December',
};
const evaluation = {
  id: 'ev-1',
  toStage: 'learn',
  verdict: 'pass',
  approvalsRequired: 2,
} as unknown as GateEvaluationEntity;

describe('notification events', () => {
  it.each([
    [
      'evaluation.awaiting_approval',
      awaitingApproval(useCase, evaluation),
      'evaluation.awaiting_approval:ev-1',
    ],
    [
      'evaluation.rejected',
      evaluationRejected(useCase, evaluation, 'No rollback plan'),
      'evaluation.rejected:ev-1',
    ],
    [
      'use_case.promoted',
      useCasePromoted(useCase, { id: 'sc-1', fromStage: 'test', toStage: 'learn' }),
      'use_case.promoted:sc-1',
    ],
    [
      'run.failed',
      runFailed({ id: 'run-1', suite: 's@1', reason: 'x', startedBy: 'u-1', starterTeamId: 't-2', useCase }),
      'run.failed:run-1',
    ],
    [
      'evidence.expiring',
      evidenceExpiring(useCase, 'ev-1', new Date('2027-01-02T00:00:00Z')),
      'evidence.expiring:uc-1:ev-1',
    ],
    [
      'use_case.config_mismatch',
      configMismatch(useCase, { id: 'al-1', kind: 'config_mismatch', summary: 'not the approved hash' }),
      'use_case.config_mismatch:al-1',
    ],
    [
      'watch.alert_opened',
      watchAlertOpened(useCase, { id: 'al-2', kind: 'drift', summary: 'pii 4 of 200' }),
      'watch.alert_opened:al-2',
    ],
    [
      'live_settings.weakened',
      liveSettingsWeakened({ ...useCase, stage: 'learn' }, weakening, ['r-1']),
      'live_settings.weakened:ch-1',
    ],
  ])('%s has a deterministic id, a relative link and the team it is about', (type, event, id) => {
    expect(event.type).toBe(type);
    expect(event.id).toBe(id);
    expect(event.payload.link).toMatch(/^\/(gate-evaluations|ai-use-cases|runs)\//);
    expect(event.teamId).toBe('team-1');
  });

  it('asks the eligible reviewers of an awaiting evaluation, the team otherwise, the starter without a team', () => {
    expect(awaitingApproval(useCase, evaluation).audience.kind).toBe('eligible_reviewers');
    expect(evaluationRejected(useCase, evaluation, 'why').audience).toEqual({
      kind: 'team',
      teamId: 'team-1',
    });
    const base = { id: 'r', suite: 's@1', reason: 'x', startedBy: 'u-9', useCase: null };
    expect(runFailed({ ...base, starterTeamId: 't-2' }).audience).toEqual({ kind: 'team', teamId: 't-2' });
    expect(runFailed({ ...base, starterTeamId: null }).audience).toEqual({ kind: 'starter', userId: 'u-9' });
    expect(runFailed({ ...base, starterTeamId: null }).teamId).toBeNull();
  });

  it("tells a watch alert to the team and the reviewers outside it, with the alert's kind and summary", () => {
    const event = watchAlertOpened(useCase, {
      id: 'al-2',
      kind: 'regression',
      summary: 'correct -50 points',
    });
    expect(event.audience).toEqual({ kind: 'team_and_reviewers', teamId: 'team-1' });
    expect(event.payload.alert).toEqual({ id: 'al-2', kind: 'regression', summary: 'correct -50 points' });
    expect(personalisation(event.type, event.payload, 'Rita')).toMatchObject({
      alert_kind: 'regression',
      alert_summary: 'correct -50 points',
    });
    const long = configMismatch(useCase, { id: 'al-1', kind: 'config_mismatch', summary: 'x'.repeat(900) });
    expect(long.payload.alert?.summary.length).toBe(500);
  });

  it('tells the reviewers given who weakened the watch, each setting before and after, and why, linking to the live page', () => {
    const pilot = { ...useCase, stage: 'learn' as const };
    const event = liveSettingsWeakened(pilot, weakening, ['r-1', 'r-2']);
    expect(event.audience).toEqual({ kind: 'users', userIds: ['r-1', 'r-2'] });
    expect(event.payload).toMatchObject({
      title: 'Benefits triage: Sam Patel weakened the watch at learn',
      aiUseCase: { id: 'uc-1', stage: 'learn' },
      settingsChange: { changedBy: { id: 'u-1', name: 'Sam Patel' }, changes: weakening.changes },
      reason: 'Judge budget cut for December',
      link: '/ai-use-cases/uc-1/live',
    });
    expect(personalisation(event.type, event.payload, 'Rita')).toMatchObject({
      changed_by: 'Sam Patel',
      setting_changes:
        'Share of traces scored online: from 10% to 1%; Scheduled re-evaluation: from every 7 days to never',
      reason: 'Judge budget cut for December',
    });
    const both = liveSettingsWeakened(pilot, { ...weakening, redactionOff: true }, []);
    expect(both.payload.title).toBe(
      'Benefits triage: Sam Patel weakened the watch and turned off redaction of personal data at learn',
    );
    const redaction = liveSettingsWeakened(
      pilot,
      { ...weakening, watchWeakened: false, redactionOff: true },
      [],
    );
    expect(redaction.payload.title).toBe(
      'Benefits triage: Sam Patel turned off redaction of personal data at learn',
    );
  });

  it('gives every template the same flat string keys, empty where the event has nothing to say', () => {
    const promoted = useCasePromoted(useCase, { id: 'sc-1', fromStage: 'test', toStage: 'learn' });
    const fields = personalisation(
      promoted.type,
      { ...promoted.payload, link: 'https://g.example/x' },
      'Sam',
    );
    const rejected = evaluationRejected(useCase, evaluation, 'No rollback plan');
    expect(Object.keys(personalisation(rejected.type, rejected.payload, 'Sam'))).toEqual(Object.keys(fields));
    expect(Object.values(fields).every((v) => typeof v === 'string')).toBe(true);
    expect(fields).toMatchObject({
      recipient_name: 'Sam',
      use_case_name: 'Benefits triage',
      stage_from: 'test',
      stage_to: 'learn',
      reason: '',
      link: 'https://g.example/x',
    });
  });

  it.each([
    ['refused (401): Incorrect API key provided: sk-proj-abcdEFGH1234****wxyz', 'sk-proj'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig failed', 'eyJhbGci'],
    ['GET https://api.example/v1?api_key=abc123secret&x=1 timed out', 'abc123secret'],
    ['signed with whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ= and failed', 'whsec_c2Vj'],
    ['the service sent ghi_Q2xhdWRlSW5nZXN0VG9rZW4x in its prompt', 'ghi_Q2xh'],
    ['enrol with ghe_RW5yb2xtZW50VG9rZW4xMjM0 please', 'ghe_RW5y'],
  ])('masks what looks like a credential in a failure reason: %s', (reason, secret) => {
    const event = runFailed({
      id: 'r',
      suite: 's@1',
      reason,
      startedBy: 'u',
      starterTeamId: 't',
      useCase: null,
    });
    expect(event.payload.run?.reason).not.toContain(secret);
    expect(event.payload.run?.reason).toContain('[redacted]');
    for (const plain of [
      'nothing secret here (ECONNREFUSED)',
      'skippedItemsCount exceeded',
      'task-runner failed',
    ]) {
      expect(redactSecrets(plain)).toBe(plain);
    }
  });

  it('keeps long texts within bounds', () => {
    const long = 'x'.repeat(10_000);
    expect(evaluationRejected({ ...useCase, name: long }, evaluation, long).payload.reason?.length).toBe(
      2000,
    );
    expect(awaitingApproval({ ...useCase, name: long }, evaluation).payload.title.length).toBe(300);
  });
});
