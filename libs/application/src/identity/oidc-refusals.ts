/** Why a sign-in through the identity provider was refused, and what the person is told. */
export const OIDC_REFUSALS = {
  provider_error: { status: 401, message: 'The identity provider did not sign you in' },
  no_pending_sign_in: {
    status: 400,
    message:
      'This sign-in was not started from this browser, was already used, or took longer than 10 minutes',
  },
  state_mismatch: {
    status: 400,
    message: 'The answer from the identity provider does not belong to the sign-in this browser started',
  },
  token_refused: {
    status: 401,
    message:
      'The identity provider refused to complete the sign-in (its one-time code may have been used already)',
  },
  id_token_wrong_audience: {
    status: 401,
    message: 'The identity provider’s answer was issued for another application',
  },
  id_token_expired: { status: 401, message: 'The identity provider’s answer had expired' },
  id_token_invalid: { status: 401, message: 'The identity provider’s answer could not be verified' },
  too_many_sign_ins: {
    status: 503,
    message: 'Too many sign-ins are in progress at the moment: wait a minute and sign in again',
  },
  provider_unreachable: {
    status: 502,
    message: 'Gatehouse could not reach the identity provider, or did not understand its answer',
  },
  user_disabled: {
    status: 403,
    message: 'Your Gatehouse account is disabled: ask a Gatehouse administrator if you need it again',
  },
  email_taken: {
    status: 409,
    message:
      'Another Gatehouse account already uses your e-mail address, so Gatehouse did not create a second one or join them: ask a Gatehouse administrator to sort out your accounts, then sign in again',
  },
  team_unknown: {
    status: 409,
    message:
      'Your identity provider groups name a team Gatehouse does not have: ask a Gatehouse administrator to create it or correct the team mapping',
  },
  team_ambiguous: {
    status: 409,
    message:
      'Your identity provider groups name more than one Gatehouse team: ask a Gatehouse administrator which team you belong to',
  },
  team_required: {
    status: 409,
    message:
      'Your identity provider groups give you a team role but no team: ask a Gatehouse administrator to map your team group or set your team',
  },
} as const;

export type OidcRefusalReason = keyof typeof OIDC_REFUSALS;

/** A refused sign-in: the controller shows the message with a way to sign in again. Never holds a token. */
export class OidcSignInRefused extends Error {
  readonly status: number;

  constructor(
    readonly reason: OidcRefusalReason,
    /** A short, safe detail (an OAuth error code, a claim name). */
    readonly detail: string | null = null,
  ) {
    super(`${OIDC_REFUSALS[reason].message}${detail ? ` (${detail})` : ''}.`);
    this.name = 'OidcSignInRefused';
    this.status = OIDC_REFUSALS[reason].status;
  }
}

export /** An OAuth error code as it may be shown and logged: short, and only the characters such codes use. */
function safeCode(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]{1,60}$/.test(value) ? value : 'unknown_error';
}

export /** An error for the log: its name, code and message (never a response body, which may hold a token). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error).slice(0, 200);
  }
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? `; cause: ${error.cause.message}` : '';
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}${cause}`.slice(0, 500);
}
