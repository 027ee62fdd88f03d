import { type Stage } from '../ai-use-cases/stage';

/** The events that need a person, and so are e-mailed and sent to webhooks. */
export const NOTIFICATION_TYPES = [
  /** A gate evaluation passed its rules and waits for independent approvals: to the eligible reviewers. */
  'evaluation.awaiting_approval',
  /** A reviewer rejected an evaluation: to the owning team. */
  'evaluation.rejected',
  /** A use case moved to a new stage through its gate: to the owning team. */
  'use_case.promoted',
  /** A run failed (not cancelled): to the team that started it. */
  'run.failed',
  /** The evidence a use case's stage rests on goes stale within the warning window: to the owning team. */
  'evidence.expiring',
  /** A live service reported a configuration the reviewers did not approve: to the owning team and reviewers. */
  'use_case.config_mismatch',
  /** The watch opened an alert (drift, a regressed re-evaluation): to the owning team and reviewers. */
  'watch.alert_opened',
  /**
   * At learn or scale, the owning team weakened the watch over live use or turned off redaction of stored
   * text (with a reason): to the use case's reviewers.
   */
  'live_settings.weakened',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export function isNotificationType(value: unknown): value is NotificationType {
  return typeof value === 'string' && (NOTIFICATION_TYPES as readonly string[]).includes(value);
}

/**
 * What every channel of an event may show, and all it may show: ids, names, stages, counts, a reason a
 * reviewer wrote, and links to pages that check who is asking. Never a secret, a prompt, a person's e-mail
 * or anything from another team's drafts.
 */
export interface NotificationPayload {
  /** A one-line summary for a subject line or a chat message. */
  title: string;
  aiUseCase?: { id: string; name: string; stage: Stage };
  evaluation?: { id: string; to: Stage; verdict: string; approvals?: { have: number; need: number } };
  run?: { id: string; suite: string; status: string; reason?: string };
  /** The stage change of a promotion. */
  stageChange?: { from: Stage; to: Stage };
  /** A reviewer's reason (rejections), or the team's reason for weakening its watch, as they wrote it. */
  reason?: string;
  /** When the evidence goes stale (evidence.expiring). */
  expiresAt?: string;
  /** A watch alert (use_case.config_mismatch, watch.alert_opened): its kind and plain-English summary. */
  alert?: { id: string; kind: string; summary: string };
  /**
   * What a team changed in its live settings (live_settings.weakened): who, and each weakened setting before
   * and after, as words and numbers fit to show (`setting` is the field's name in the live settings API).
   */
  settingsChange?: {
    changedBy: { id: string; name: string };
    changes: { setting: string; label: string; before: string; after: string }[];
  };
  /** The page to open, on this Gatehouse's public URL. */
  link: string;
}

/** The event's idempotency key: the same happening always gives the same id. */
export function notificationEventId(type: NotificationType, ...parts: string[]): string {
  return [type, ...parts].join(':');
}
