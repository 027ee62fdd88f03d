import { describeToken } from './api-token';
import { ENROLMENT_TOKEN_PREFIX, enrolmentRefusal, issueEnrolmentToken } from './enrolment';

const NOW = new Date('2026-12-04T12:00:00Z');
const at = (iso: string) => new Date(iso);

describe('enrolment tokens', () => {
  it('are random, prefixed apart from API tokens, and stored as their hash', () => {
    const issued = issueEnrolmentToken(() => Buffer.alloc(32, 7));
    expect(issued.token.startsWith(ENROLMENT_TOKEN_PREFIX)).toBe(true);
    expect(issued.hash).toBe(describeToken(issued.token).hash);
    expect(issued.displayPrefix).toBe(issued.token.slice(0, 10));
    expect(issueEnrolmentToken().token).not.toBe(issueEnrolmentToken().token);
  });

  it.each([
    ['unknown', null, false, 'unknown'],
    ['fresh', { expiresAt: at('2026-12-05T00:00:00Z'), usedAt: null, revokedAt: null }, false, null],
    [
      'used once already',
      { expiresAt: at('2026-12-05T00:00:00Z'), usedAt: at('2026-12-04T11:00:00Z'), revokedAt: null },
      false,
      'used',
    ],
    [
      'replaced by a new enrolment',
      { expiresAt: at('2026-12-05T00:00:00Z'), usedAt: null, revokedAt: at('2026-12-04T11:00:00Z') },
      false,
      'revoked',
    ],
    ['expiring this instant', { expiresAt: NOW, usedAt: null, revokedAt: null }, false, 'expired'],
    ['expired', { expiresAt: at('2026-12-01T00:00:00Z'), usedAt: null, revokedAt: null }, false, 'expired'],
    [
      'for a disabled user',
      { expiresAt: at('2026-12-05T00:00:00Z'), usedAt: null, revokedAt: null },
      true,
      'user_disabled',
    ],
    [
      'used and expired (used wins)',
      { expiresAt: at('2026-12-01T00:00:00Z'), usedAt: at('2026-11-30T00:00:00Z'), revokedAt: null },
      false,
      'used',
    ],
  ] as const)('%s → %s', (_name, enrolment, disabled, refusal) => {
    expect(enrolmentRefusal(enrolment, disabled, NOW)).toBe(refusal);
  });
});
