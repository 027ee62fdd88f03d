import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../hashing/canonical-json';

/** API tokens are 256 random bits, shown once, stored only as their sha256. */
export const TOKEN_PREFIX = 'ghk_';

export interface IssuedToken {
  /** The raw bearer token: returned to the caller once and never stored. */
  token: string;
  hash: string;
  /** The first characters, stored so people can tell their tokens apart. */
  displayPrefix: string;
}

export function issueApiToken(random: (size: number) => Buffer = randomBytes): IssuedToken {
  return describeToken(`${TOKEN_PREFIX}${random(32).toString('base64url')}`);
}

export function describeToken(token: string): IssuedToken {
  return { token, hash: hashApiToken(token), displayPrefix: token.slice(0, TOKEN_PREFIX.length + 6) };
}

export function hashApiToken(token: string): string {
  return sha256Hex(token);
}
