import {
  DomainError,
  type FieldProblem,
  type LiveSettings,
  liveSettingsProblems,
  sha256Hex,
} from '@gatehouse/domain';
import { randomBytes } from 'node:crypto';

/** Ingest tokens start with this, so a leaked one is recognisable (secret scanners, logs). */
export const INGEST_TOKEN_PREFIX = 'ghi_';
/** Characters of a token kept to tell it apart: the prefix and 8 more. */
export const INGEST_TOKEN_DISPLAY_CHARS = INGEST_TOKEN_PREFIX.length + 8;
/** The longest token name, and the most tokens a use case may have active at once. */
export const MAX_INGEST_TOKEN_NAME = 120;
export const MAX_ACTIVE_INGEST_TOKENS = 20;
/** The longest reason a change of settings or a revocation may carry; the shortest a required one may. */
export const MAX_LIVE_REASON = 2000;
export const MIN_LIVE_REASON = 3;

export interface IssuedIngestToken {
  /** Returned once, never stored. */
  token: string;
  /** sha256 hex of the token: what is stored and looked up. */
  hash: string;
  displayPrefix: string;
}

/** The sha256 the ingest path looks a presented token up by. */
export const hashIngestToken = (token: string): string => sha256Hex(token);

/** A new ingest token: `ghi_` and 256 random bits in base64url. */
export function issueIngestToken(random: (size: number) => Buffer = randomBytes): IssuedIngestToken {
  const token = `${INGEST_TOKEN_PREFIX}${random(32).toString('base64url')}`;
  return { token, hash: hashIngestToken(token), displayPrefix: token.slice(0, INGEST_TOKEN_DISPLAY_CHARS) };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Control characters (C0, DEL, C1), the Unicode line and paragraph separators, and the bidirectional
// embeddings, overrides and isolates (which make a name display as something it is not).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A token's name: what it is for ("payments-api production"); 1–120 characters on one line. */
export function parseIngestTokenName(body: unknown): string {
  if (!isPlainObject(body)) {
    throw DomainError.validation(
      [{ field: '(body)', message: 'must be an object with a name', code: 'invalid_type' }],
      'The token is not valid.',
    );
  }
  const problems: FieldProblem[] = Object.keys(body)
    .filter((key) => key !== 'name')
    .slice(0, 20)
    .map((key) => ({ field: key, message: 'is not a known field', code: 'unknown_field' }));
  const raw = body['name'];
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (raw === undefined) {
    problems.push({ field: 'name', message: 'is required: what the token is for', code: 'required' });
  } else if (typeof raw !== 'string') {
    problems.push({ field: 'name', message: 'must be text', code: 'invalid_type' });
  } else if (name.length === 0) {
    problems.push({ field: 'name', message: 'must not be empty', code: 'too_small' });
  } else if (name.length > MAX_INGEST_TOKEN_NAME) {
    problems.push({
      field: 'name',
      message: `must be at most ${MAX_INGEST_TOKEN_NAME} characters`,
      code: 'too_big',
    });
  } else if (CONTROL.test(name)) {
    problems.push({
      field: 'name',
      message: 'must be one line of plain text (no control or text-direction characters)',
      code: 'invalid_string',
    });
  }
  if (problems.length > 0) {
    throw DomainError.validation(problems, 'The token is not valid.');
  }
  return name;
}

/** A reason as given (trimmed), a problem when it is not text or too long; undefined when absent. */
export function reasonOf(value: unknown, problems: FieldProblem[]): string | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.push({ field: 'reason', message: 'must be text', code: 'invalid_type' });
    return undefined;
  }
  const reason = value.trim();
  if (reason.length > MAX_LIVE_REASON) {
    problems.push({
      field: 'reason',
      message: `must be at most ${MAX_LIVE_REASON} characters`,
      code: 'too_big',
    });
    return undefined;
  }
  // The reviewers read it in an e-mail and on pages: line breaks and tabs, but nothing that hides text or
  // makes it display as something it is not.
  if (CONTROL.test(reason.replace(/[\t\r\n]/g, ' '))) {
    problems.push({
      field: 'reason',
      message: 'must be plain text (line breaks allowed; no other control or text-direction characters)',
      code: 'invalid_string',
    });
    return undefined;
  }
  return reason.length > 0 ? reason : undefined;
}

/** The body of a revocation: nothing, or `{ reason }`. */
export function parseRevocation(body: unknown): { reason?: string } {
  if (body === undefined || body === null || (isPlainObject(body) && Object.keys(body).length === 0)) {
    return {};
  }
  const problems: FieldProblem[] = [];
  if (!isPlainObject(body)) {
    throw DomainError.validation([{ field: '(body)', message: 'must be an object', code: 'invalid_type' }]);
  }
  for (const key of Object.keys(body)
    .filter((k) => k !== 'reason')
    .slice(0, 20)) {
    problems.push({ field: key, message: 'is not a known field', code: 'unknown_field' });
  }
  const reason = reasonOf(body['reason'], problems);
  if (problems.length > 0) {
    throw DomainError.validation(problems, 'The revocation is not valid.');
  }
  return reason === undefined ? {} : { reason };
}

/** The body of PUT live-settings: the full settings, and `reason` (required to keep personal data unredacted). */
export function parseLiveSettingsChange(body: unknown): { settings: LiveSettings; reason?: string } {
  const problems: FieldProblem[] = liveSettingsProblems(body, ['reason']);
  const reason = isPlainObject(body) ? reasonOf(body['reason'], problems) : undefined;
  if (problems.length > 0) {
    throw DomainError.validation(problems, 'The live settings are not valid.');
  }
  const b = body as LiveSettings;
  // Built field by field: nothing but the settings is kept from the body.
  const settings: LiveSettings = {
    sampleRate: b.sampleRate,
    captureText: b.captureText,
    redactPii: b.redactPii,
    retentionDays: b.retentionDays,
    judgeCallsPerDay: b.judgeCallsPerDay,
    reevaluateEveryDays: b.reevaluateEveryDays,
    drift: {
      windowDays: b.drift.windowDays,
      minCases: b.drift.minCases,
      rateMargin: b.drift.rateMargin,
      lengthRatio: b.drift.lengthRatio,
    },
  };
  return reason === undefined ? { settings } : { settings, reason };
}
