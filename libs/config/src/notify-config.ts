import { z } from 'zod';
import { wholeNumber } from './env-values';
import { Secret } from './secret';

/** Which GOV.UK Notify template each notification type is e-mailed with (absent: no e-mail for it). */
export interface NotifyTemplates {
  'evaluation.awaiting_approval'?: string;
  'evaluation.rejected'?: string;
  'use_case.promoted'?: string;
  'run.failed'?: string;
  'evidence.expiring'?: string;
  'use_case.config_mismatch'?: string;
  'watch.alert_opened'?: string;
  'live_settings.weakened'?: string;
}

/** Notifications: GOV.UK Notify e-mails and signed webhooks, delivered through the queue. */
export interface NotifyConfig {
  /** `{key name}-{service id}-{secret}`; unset: no e-mails are sent (webhooks still are). */
  apiKey?: Secret;
  /** GOV.UK Notify's API; an operator may point it elsewhere (a local stand-in, a proxy). */
  baseUrl: string;
  templates: NotifyTemplates;
  /** Attempts per delivery before it is marked failed (an admin can replay it). */
  maxAttempts: number;
  /** Base of the exponential backoff between attempts (with jitter, capped at BACKOFF_CAP_MS). */
  backoffMs: number;
  /** How long one e-mail or webhook call may take. */
  webhookTimeoutMs: number;
  /** Use cases whose approving evidence goes stale within this many days are warned about. */
  evidenceWarnDays: number;
}

/** No wait between two attempts is longer than this, however many attempts were made. */
export const BACKOFF_CAP_MS = 6 * 3_600_000;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** Notify's API key: a name, the service id and the secret key id, joined by `-`. */
const API_KEY = new RegExp(`^[\\x21-\\x7e][\\x20-\\x7e]{0,199}-${UUID}-${UUID}$`, 'i');

const templateId = z
  .string()
  .regex(new RegExp(`^${UUID}$`, 'i'), 'must be a GOV.UK Notify template id (a UUID)')
  .optional();

/** The environment variables of notifications, merged into the configuration's one schema. */
export const notifyEnvironment = {
  GATEHOUSE_NOTIFY_API_KEY: z
    .string()
    .regex(API_KEY, 'must be a GOV.UK Notify API key: {key name}-{service id}-{secret key}')
    .optional(),
  GATEHOUSE_NOTIFY_BASE_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .refine((v) => !URL.canParse(v) || (new URL(v).search === '' && new URL(v).hash === ''), {
      message: 'must not have a query or fragment',
    })
    .default('https://api.notifications.service.gov.uk'),
  GATEHOUSE_NOTIFY_TEMPLATE_APPROVAL_NEEDED: templateId,
  GATEHOUSE_NOTIFY_TEMPLATE_REJECTED: templateId,
  GATEHOUSE_NOTIFY_TEMPLATE_PROMOTED: templateId,
  GATEHOUSE_NOTIFY_TEMPLATE_RUN_FAILED: templateId,
  GATEHOUSE_NOTIFY_TEMPLATE_EVIDENCE_EXPIRING: templateId,
  GATEHOUSE_NOTIFY_TEMPLATE_CONFIG_MISMATCH: templateId,
  GATEHOUSE_NOTIFY_TEMPLATE_WATCH_ALERT: templateId,
  GATEHOUSE_NOTIFY_TEMPLATE_WATCH_WEAKENED: templateId,
  GATEHOUSE_NOTIFY_MAX_ATTEMPTS: wholeNumber(8, 1, 50),
  GATEHOUSE_NOTIFY_BACKOFF_MS: wholeNumber(30_000, 10, 3_600_000),
  GATEHOUSE_WEBHOOK_TIMEOUT_MS: wholeNumber(10_000, 100, 120_000),
  GATEHOUSE_EVIDENCE_WARN_DAYS: wholeNumber(14, 1, 365),
};

type NotifyEnvironment = z.output<z.ZodObject<typeof notifyEnvironment>>;

/** The typed notifications configuration from the validated variables. */
export function notifyConfig(e: NotifyEnvironment): NotifyConfig {
  const templates: NotifyTemplates = {};
  const set = (type: keyof NotifyTemplates, id: string | undefined) => {
    if (id) {
      templates[type] = id.toLowerCase();
    }
  };
  set('evaluation.awaiting_approval', e.GATEHOUSE_NOTIFY_TEMPLATE_APPROVAL_NEEDED);
  set('evaluation.rejected', e.GATEHOUSE_NOTIFY_TEMPLATE_REJECTED);
  set('use_case.promoted', e.GATEHOUSE_NOTIFY_TEMPLATE_PROMOTED);
  set('run.failed', e.GATEHOUSE_NOTIFY_TEMPLATE_RUN_FAILED);
  set('evidence.expiring', e.GATEHOUSE_NOTIFY_TEMPLATE_EVIDENCE_EXPIRING);
  set('use_case.config_mismatch', e.GATEHOUSE_NOTIFY_TEMPLATE_CONFIG_MISMATCH);
  set('watch.alert_opened', e.GATEHOUSE_NOTIFY_TEMPLATE_WATCH_ALERT);
  set('live_settings.weakened', e.GATEHOUSE_NOTIFY_TEMPLATE_WATCH_WEAKENED);
  return {
    apiKey: e.GATEHOUSE_NOTIFY_API_KEY ? new Secret(e.GATEHOUSE_NOTIFY_API_KEY) : undefined,
    baseUrl: e.GATEHOUSE_NOTIFY_BASE_URL.replace(/\/$/, ''),
    templates,
    maxAttempts: e.GATEHOUSE_NOTIFY_MAX_ATTEMPTS,
    backoffMs: e.GATEHOUSE_NOTIFY_BACKOFF_MS,
    webhookTimeoutMs: e.GATEHOUSE_WEBHOOK_TIMEOUT_MS,
    evidenceWarnDays: e.GATEHOUSE_EVIDENCE_WARN_DAYS,
  };
}

/**
 * The wait before attempt `attempt + 1` after `attempt` failed ones: base × 2^(attempt − 1), capped, with
 * "equal jitter" (half fixed, half random) so receivers that came back are not hit by every sender at once.
 */
export function backoffDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(BACKOFF_CAP_MS, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
