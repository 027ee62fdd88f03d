import {
  type NotificationPayload,
  type NotificationType,
  notificationEventId,
  type Stage,
} from '@gatehouse/domain';
import { type GateEvaluationEntity } from '@gatehouse/persistence';

/**
 * An event to record: its idempotency key (type and what it is about), the team it is about (which
 * webhook endpoints may get it), and its payload. The payload's `link` is a path, made absolute on the
 * configured public URL when recorded.
 */
export interface NewNotification {
  id: string;
  type: NotificationType;
  teamId: string | null;
  aiUseCaseId: string | null;
  payload: NotificationPayload;
  /** Who the e-mails go to, worked out when the event is recorded. */
  audience:
    | { kind: 'eligible_reviewers'; evaluation: GateEvaluationEntity; ownerTeamId: string }
    | { kind: 'team'; teamId: string }
    | { kind: 'starter'; userId: string }
    /** The owning team, and the active reviewers outside it (the watch's alerts). */
    | { kind: 'team_and_reviewers'; teamId: string }
    /** These users, chosen by the caller (a use case's reviewers); the inactive and address-less are left out. */
    | { kind: 'users'; userIds: string[] };
}

/** What the events read of a use case: nothing beyond its id, name, stage and owning team. */
export interface UseCaseFacts {
  id: string;
  name: string;
  stage: Stage;
  ownerTeamId: string;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Free text from elsewhere (a run's failure reason quotes what a model server answered) with anything
 * shaped like a credential masked: bearer tokens, API keys (`sk-…`, Gatehouse's `ghk_…`, `ghi_…` and `ghe_…`,
 * `whsec_…`) and
 * `key=value` secrets in URLs. The run page shows the reason to its team; a webhook may go further.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
    .replace(/\b(sk|gh[kie]|whsec|xox[abpr])[-_][A-Za-z0-9*_-]{8,}/g, '[redacted]')
    .replace(/\bAKIA[0-9A-Z]{16}\b/g, '[redacted]')
    .replace(
      /([?&](?:key|api[-_]?key|token|access_token|sig|signature|secret|password)=)[^&\s]+/gi,
      '$1[redacted]',
    );
}

function useCaseOf(useCase: UseCaseFacts): NonNullable<NotificationPayload['aiUseCase']> {
  return { id: useCase.id, name: clip(useCase.name, 200), stage: useCase.stage };
}

/** A passing evaluation waits for independent approvals: to the reviewers who may decide it. */
export function awaitingApproval(useCase: UseCaseFacts, evaluation: GateEvaluationEntity): NewNotification {
  return {
    id: notificationEventId('evaluation.awaiting_approval', evaluation.id),
    type: 'evaluation.awaiting_approval',
    teamId: useCase.ownerTeamId,
    aiUseCaseId: useCase.id,
    payload: {
      title: clip(`${useCase.name}: the gate to ${evaluation.toStage} needs your approval`, 300),
      aiUseCase: useCaseOf(useCase),
      evaluation: {
        id: evaluation.id,
        to: evaluation.toStage,
        verdict: evaluation.verdict,
        approvals: { have: 0, need: evaluation.approvalsRequired },
      },
      link: `/gate-evaluations/${evaluation.id}`,
    },
    audience: { kind: 'eligible_reviewers', evaluation, ownerTeamId: useCase.ownerTeamId },
  };
}

/** A reviewer rejected an evaluation: to the owning team, with the reviewer's reason. */
export function evaluationRejected(
  useCase: UseCaseFacts,
  evaluation: Pick<GateEvaluationEntity, 'id' | 'toStage' | 'verdict' | 'approvalsRequired'>,
  reason: string,
): NewNotification {
  return {
    id: notificationEventId('evaluation.rejected', evaluation.id),
    type: 'evaluation.rejected',
    teamId: useCase.ownerTeamId,
    aiUseCaseId: useCase.id,
    payload: {
      title: clip(`${useCase.name}: the gate to ${evaluation.toStage} was rejected`, 300),
      aiUseCase: useCaseOf(useCase),
      evaluation: { id: evaluation.id, to: evaluation.toStage, verdict: evaluation.verdict },
      reason: clip(reason, 2000),
      link: `/gate-evaluations/${evaluation.id}`,
    },
    audience: { kind: 'team', teamId: useCase.ownerTeamId },
  };
}

/** A use case moved through its gate (`useCase` at its new stage): to the owning team. */
export function useCasePromoted(
  useCase: UseCaseFacts,
  change: { id: string; fromStage: Stage; toStage: Stage },
): NewNotification {
  return {
    id: notificationEventId('use_case.promoted', change.id),
    type: 'use_case.promoted',
    teamId: useCase.ownerTeamId,
    aiUseCaseId: useCase.id,
    payload: {
      title: clip(
        change.fromStage === change.toStage
          ? `${useCase.name}: its change was approved at ${change.toStage}`
          : `${useCase.name} moved from ${change.fromStage} to ${change.toStage}`,
        300,
      ),
      aiUseCase: useCaseOf(useCase),
      stageChange: { from: change.fromStage, to: change.toStage },
      link: `/ai-use-cases/${useCase.id}`,
    },
    audience: { kind: 'team', teamId: useCase.ownerTeamId },
  };
}

/** What a failed run's event reads. */
export interface FailedRunFacts {
  id: string;
  suite: string;
  reason: string;
  startedBy: string;
  starterTeamId: string | null;
  useCase: UseCaseFacts | null;
}

/**
 * A run failed: a use case's run to the use case's owning team (only it, or an admin of any team, may start
 * one, and the payload names a use case that may be a draft); any other run to the team of whoever started
 * it (or them alone when they have no team).
 */
export function runFailed(run: FailedRunFacts): NewNotification {
  return {
    id: notificationEventId('run.failed', run.id),
    type: 'run.failed',
    teamId: run.useCase?.ownerTeamId ?? run.starterTeamId,
    aiUseCaseId: run.useCase?.id ?? null,
    payload: {
      title: clip(`A run of ${run.suite}${run.useCase ? ` for ${run.useCase.name}` : ''} failed`, 300),
      ...(run.useCase ? { aiUseCase: useCaseOf(run.useCase) } : {}),
      run: { id: run.id, suite: run.suite, status: 'failed', reason: clip(redactSecrets(run.reason), 1000) },
      link: `/runs/${run.id}`,
    },
    audience: run.useCase
      ? { kind: 'team', teamId: run.useCase.ownerTeamId }
      : run.starterTeamId
        ? { kind: 'team', teamId: run.starterTeamId }
        : { kind: 'starter', userId: run.startedBy },
  };
}

/** The evidence a use case's stage rests on goes stale soon: to the owning team, once per approving evaluation. */
export function evidenceExpiring(
  useCase: UseCaseFacts,
  evaluationId: string,
  expiresAt: Date,
): NewNotification {
  return {
    id: notificationEventId('evidence.expiring', useCase.id, evaluationId),
    type: 'evidence.expiring',
    teamId: useCase.ownerTeamId,
    aiUseCaseId: useCase.id,
    payload: {
      title: clip(
        `${useCase.name}: the evidence for ${useCase.stage} goes stale on ${expiresAt.toISOString().slice(0, 10)}`,
        300,
      ),
      aiUseCase: useCaseOf(useCase),
      expiresAt: expiresAt.toISOString(),
      link: `/ai-use-cases/${useCase.id}`,
    },
    audience: { kind: 'team', teamId: useCase.ownerTeamId },
  };
}

/** What a watch alert's event says of it: its id, kind and summary (numbers and hashes, never live text). */
export interface AlertFacts {
  id: string;
  kind: string;
  summary: string;
}

/**
 * A live service reported a configuration the reviewers did not approve: to the owning team and the
 * reviewers outside it, once per alert (a service that keeps reporting it is told about once).
 */
export function configMismatch(useCase: UseCaseFacts, alert: AlertFacts): NewNotification {
  return {
    id: notificationEventId('use_case.config_mismatch', alert.id),
    type: 'use_case.config_mismatch',
    teamId: useCase.ownerTeamId,
    aiUseCaseId: useCase.id,
    payload: {
      title: clip(`${useCase.name}: the live service is not running the approved configuration`, 300),
      aiUseCase: useCaseOf(useCase),
      alert: { id: alert.id, kind: alert.kind, summary: clip(alert.summary, 500) },
      link: `/ai-use-cases/${useCase.id}`,
    },
    audience: { kind: 'team_and_reviewers', teamId: useCase.ownerTeamId },
  };
}

/** The watch opened an alert (drift, a regressed re-evaluation): to the owning team and the reviewers outside it. */
export function watchAlertOpened(useCase: UseCaseFacts, alert: AlertFacts): NewNotification {
  const what =
    alert.kind === 'regression' ? 'a scheduled re-evaluation regressed' : `the watch found ${alert.kind}`;
  return {
    id: notificationEventId('watch.alert_opened', alert.id),
    type: 'watch.alert_opened',
    teamId: useCase.ownerTeamId,
    aiUseCaseId: useCase.id,
    payload: {
      title: clip(`${useCase.name}: ${what}`, 300),
      aiUseCase: useCaseOf(useCase),
      alert: { id: alert.id, kind: alert.kind, summary: clip(alert.summary, 500) },
      link: `/ai-use-cases/${useCase.id}`,
    },
    audience: { kind: 'team_and_reviewers', teamId: useCase.ownerTeamId },
  };
}

/** What a weakening of a use case's live settings says: who, what (before and after), why. */
export interface SettingsChangeFacts {
  /** The change's own id (one event per change). */
  id: string;
  changedBy: { id: string; name: string };
  changes: { setting: string; label: string; before: string; after: string }[];
  /** The weakening includes turning off redaction of stored text. */
  redactionOff: boolean;
  /** Whether anything else in the watch was weakened (sampling, re-evaluation, drift thresholds). */
  watchWeakened: boolean;
  reason: string;
}

/**
 * At learn or scale the owning team weakened the watch over live use, or turned off redaction of stored text:
 * to the use case's reviewers (`reviewerIds`, chosen by the caller), with who changed what and why.
 */
export function liveSettingsWeakened(
  useCase: UseCaseFacts,
  change: SettingsChangeFacts,
  reviewerIds: string[],
): NewNotification {
  const what = [
    change.watchWeakened ? 'weakened the watch' : null,
    change.redactionOff ? 'turned off redaction of personal data' : null,
  ]
    .filter((part): part is string => part !== null)
    .join(' and ');
  return {
    id: notificationEventId('live_settings.weakened', change.id),
    type: 'live_settings.weakened',
    teamId: useCase.ownerTeamId,
    aiUseCaseId: useCase.id,
    payload: {
      title: clip(`${useCase.name}: ${clip(change.changedBy.name, 100)} ${what} at ${useCase.stage}`, 300),
      aiUseCase: useCaseOf(useCase),
      settingsChange: {
        changedBy: { id: change.changedBy.id, name: clip(change.changedBy.name, 200) },
        changes: change.changes.slice(0, 20),
      },
      reason: clip(change.reason, 2000),
      link: `/ai-use-cases/${useCase.id}/live`,
    },
    audience: { kind: 'users', userIds: reviewerIds },
  };
}

/**
 * The flat strings a GOV.UK Notify template is personalised with: the same keys for every event (Notify
 * refuses a template whose placeholder has no value), empty where the event has nothing to say.
 */
export function personalisation(
  type: NotificationType,
  payload: NotificationPayload,
  recipientName: string,
): Record<string, string> {
  return {
    event_type: type,
    title: payload.title,
    recipient_name: recipientName,
    use_case_name: payload.aiUseCase?.name ?? '',
    use_case_stage: payload.aiUseCase?.stage ?? '',
    evaluation_to: payload.evaluation?.to ?? '',
    approvals_needed: payload.evaluation?.approvals ? String(payload.evaluation.approvals.need) : '',
    stage_from: payload.stageChange?.from ?? '',
    stage_to: payload.stageChange?.to ?? '',
    reason: payload.reason ?? '',
    run_suite: payload.run?.suite ?? '',
    run_reason: payload.run?.reason ?? '',
    expires_on: payload.expiresAt ? payload.expiresAt.slice(0, 10) : '',
    alert_kind: payload.alert?.kind ?? '',
    alert_summary: payload.alert?.summary ?? '',
    changed_by: payload.settingsChange?.changedBy.name ?? '',
    setting_changes: (payload.settingsChange?.changes ?? [])
      .map((c) => `${c.label}: from ${c.before} to ${c.after}`)
      .join('; '),
    link: payload.link,
  };
}
