/** What the identity provider says about a person (ID token claims, with userinfo merged under them). */
export type Claims = Record<string, unknown>;

export /** The groups claim as a list of strings (a single string counts as one group; anything else as none). */
function groupsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return list.filter((g): g is string => typeof g === 'string' && g.length <= 255).slice(0, 1000);
}

export /**
 * The e-mail address, only when the provider says it verified it, or when it is in a domain the operator
 * says the provider's tenant owns (GATEHOUSE_OIDC_EMAIL_DOMAINS: Entra ID sends no `email_verified`).
 */
function verifiedEmail(claims: Claims, trustedDomains: readonly string[]): string | null {
  const email = claims['email'];
  if (typeof email !== 'string') {
    return null;
  }
  const trimmed = email.trim().toLowerCase();
  if (trimmed.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(trimmed)) {
    return null;
  }
  const domain = trimmed.slice(trimmed.lastIndexOf('@') + 1);
  // A trusted domain stands in for a missing `email_verified` (Entra ID), never for a provider's explicit
  // `false`: an unverified address could otherwise squat a colleague's and refuse them their own account.
  const verified = claims['email_verified'];
  return verified === true || (verified === undefined && trustedDomains.includes(domain)) ? trimmed : null;
}

export function displayName(claims: Claims, subject: string): string {
  for (const key of ['name', 'preferred_username', 'email']) {
    const value = claims[key];
    if (typeof value === 'string' && value.trim()) {
      return value.trim().slice(0, 120);
    }
  }
  return `User ${subject.slice(0, 60)}`;
}
