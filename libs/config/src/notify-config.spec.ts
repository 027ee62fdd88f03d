import { inspect } from 'node:util';
import { ConfigError, loadConfig } from './config';
import { BACKOFF_CAP_MS, backoffDelayMs } from './notify-config';

const SERVICE = '26785a09-ab16-4eb0-8407-a37497a57506';
const SECRET = '3d844edf-8d35-48ac-975b-e847b4f122b0';
const KEY = `gatehouse_live-${SERVICE}-${SECRET}`;
const TEMPLATE = 'f33517ff-2a88-4f6e-b855-c550268ce08a';

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('notifications configuration', () => {
  it('defaults: no key, the GOV.UK Notify API, no templates, 8 attempts from 30 s, 10 s calls, 14 days', () => {
    const { notify } = loadConfig({});
    expect(notify).toEqual({
      apiKey: undefined,
      baseUrl: 'https://api.notifications.service.gov.uk',
      templates: {},
      maxAttempts: 8,
      backoffMs: 30_000,
      webhookTimeoutMs: 10_000,
      evidenceWarnDays: 14,
    });
  });

  it('reads the key as a secret, a local base URL and one template per event type', () => {
    const { notify } = loadConfig({
      GATEHOUSE_NOTIFY_API_KEY: KEY,
      GATEHOUSE_NOTIFY_BASE_URL: 'http://127.0.0.1:4010/',
      GATEHOUSE_NOTIFY_TEMPLATE_APPROVAL_NEEDED: TEMPLATE.toUpperCase(),
      GATEHOUSE_NOTIFY_TEMPLATE_PROMOTED: TEMPLATE,
      GATEHOUSE_NOTIFY_MAX_ATTEMPTS: '3',
      GATEHOUSE_NOTIFY_BACKOFF_MS: '50',
      GATEHOUSE_WEBHOOK_TIMEOUT_MS: '2000',
      GATEHOUSE_EVIDENCE_WARN_DAYS: '30',
    });
    expect(notify.apiKey?.reveal()).toBe(KEY);
    expect(inspect(notify)).not.toContain(SECRET);
    expect(JSON.stringify(notify)).not.toContain(SECRET);
    expect(notify.baseUrl).toBe('http://127.0.0.1:4010');
    expect(notify.templates).toEqual({
      'evaluation.awaiting_approval': TEMPLATE,
      'use_case.promoted': TEMPLATE,
    });
    expect(notify).toMatchObject({
      maxAttempts: 3,
      backoffMs: 50,
      webhookTimeoutMs: 2000,
      evidenceWarnDays: 30,
    });
  });

  it('lists every bad notification variable, naming it, without echoing the key', () => {
    const badKey = `just-a-secret-${SECRET}`;
    const problems = problemsOf({
      GATEHOUSE_NOTIFY_API_KEY: badKey,
      GATEHOUSE_NOTIFY_BASE_URL: 'ftp://notify.example',
      GATEHOUSE_NOTIFY_TEMPLATE_REJECTED: 'welcome-email',
      GATEHOUSE_NOTIFY_MAX_ATTEMPTS: '0',
      GATEHOUSE_NOTIFY_BACKOFF_MS: 'soon',
      GATEHOUSE_WEBHOOK_TIMEOUT_MS: '999999999',
      GATEHOUSE_EVIDENCE_WARN_DAYS: '-1',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'GATEHOUSE_EVIDENCE_WARN_DAYS',
      'GATEHOUSE_NOTIFY_API_KEY',
      'GATEHOUSE_NOTIFY_BACKOFF_MS',
      'GATEHOUSE_NOTIFY_BASE_URL',
      'GATEHOUSE_NOTIFY_MAX_ATTEMPTS',
      'GATEHOUSE_NOTIFY_TEMPLATE_REJECTED',
      'GATEHOUSE_WEBHOOK_TIMEOUT_MS',
    ]);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
    expect(problems.find((p) => p.variable === 'GATEHOUSE_NOTIFY_TEMPLATE_REJECTED')?.message).toMatch(
      /template id/,
    );
  });

  it('refuses a key with a line break in its name (it would be sent in a header)', () => {
    const problems = problemsOf({ GATEHOUSE_NOTIFY_API_KEY: `a\nb-${SERVICE}-${SECRET}` });
    expect(problems.map((p) => p.variable)).toEqual(['GATEHOUSE_NOTIFY_API_KEY']);
  });

  it.each([
    // [attempt, random, expected]: half fixed, half jitter, doubling each attempt, capped
    [1, 0, 15_000],
    [1, 1, 30_000],
    [2, 0.5, 45_000],
    [3, 0, 60_000],
    [40, 1, BACKOFF_CAP_MS],
    [40, 0, BACKOFF_CAP_MS / 2],
  ])('backs off exponentially with jitter: attempt %i, random %d → %i ms', (attempt, random, expected) => {
    expect(backoffDelayMs(attempt, 30_000, () => random)).toBe(expected);
  });
});
