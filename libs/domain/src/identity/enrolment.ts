import { randomBytes } from 'node:crypto';
import { describeToken, type IssuedToken } from './api-token';

/**
 * A new user's first credential: a one-time, short-lived enrolment token the user exchanges for an API
 * token of their own, which only they see. It is not an API token: it authenticates nothing else.
 */
export const ENROLMENT_TOKEN_PREFIX = 'ghe_';

export function issueEnrolmentToken(random: (size: number) => Buffer = randomBytes): IssuedToken {
  const token = `${ENROLMENT_TOKEN_PREFIX}${random(32).toString('base64url')}`;
  return { ...describeToken(token), displayPrefix: token.slice(0, ENROLMENT_TOKEN_PREFIX.length + 6) };
}

export interface EnrolmentState {
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

export type EnrolmentRefusal = 'unknown' | 'used' | 'revoked' | 'expired' | 'user_disabled';

/** Why an enrolment cannot be exchanged now, or null when it can (once). */
export function enrolmentRefusal(
  enrolment: EnrolmentState | null,
  userDisabled: boolean,
  now: Date,
): EnrolmentRefusal | null {
  if (!enrolment) {
    return 'unknown';
  }
  if (enrolment.usedAt) {
    return 'used';
  }
  if (enrolment.revokedAt) {
    return 'revoked';
  }
  if (enrolment.expiresAt <= now) {
    return 'expired';
  }
  return userDisabled ? 'user_disabled' : null;
}

export const ENROLMENT_REFUSALS: Record<EnrolmentRefusal, string> = {
  unknown: 'The enrolment token is not valid.',
  used: 'The enrolment token was already used: each works once. Ask an admin for a new enrolment.',
  revoked: 'The enrolment token was replaced or withdrawn. Ask an admin for a new enrolment.',
  expired: 'The enrolment token has expired. Ask an admin for a new enrolment.',
  user_disabled: 'The user is disabled.',
};
