import { redactSecretText } from '@gatehouse/domain';
import { type ItemRecord } from './item-record';

/** What FailFast looks at of an item record (an ItemRecord fits). */
export type FailFastOutcome = Pick<ItemRecord, 'status' | 'error'>;

/** The first N item records a run looks at before it is trusted to go on, unless told otherwise. */
export const DEFAULT_FAIL_FAST_AFTER = 10;

/** HTTP statuses that mean every call will be refused the same way: bad key, no access, wrong URL or model. */
const FATAL_STATUSES = new Set([401, 403, 404]);
/** System error codes that mean nothing will answer: nothing listening, a name that does not resolve. */
const FATAL_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND']);

/**
 * Why an errored record would fail every other call the same way, as a key to compare records by; null
 * when the error may be particular to the item or may pass (a 429, a 5xx, a timeout, a 400, an unreadable
 * answer). Counted: `client_error` 401/403/404; `network` ECONNREFUSED/ENOTFOUND; `configuration` (the
 * egress policy refused the host, which it does for every call); `judge_error` whose judge call failed
 * with one of those statuses or codes.
 */
export function fatalSignature(error: FailFastOutcome['error']): string | null {
  if (!error) {
    return null;
  }
  const { kind, status, code } = error;
  const fatalCall =
    (status !== undefined && FATAL_STATUSES.has(status)) || (code !== undefined && FATAL_CODES.has(code));
  switch (kind) {
    case 'client_error':
    case 'network':
    case 'judge_error':
      return fatalCall ? `${kind}:${status ?? ''}:${code ?? ''}` : null;
    case 'configuration':
      return `${kind}:${error.message}`;
    case 'rate_limited':
    case 'server_error':
    case 'timeout':
    case 'invalid_response':
    case 'replay_miss':
    case 'cancelled':
    case 'response_too_large':
      return null;
  }
}

/**
 * Stops a run that cannot succeed: when the first `after` item records (in the order they finish) ALL
 * errored with the same fatal error (see fatalSignature: 401, 403, 404, connection refused, name not
 * resolved, egress refused; also when a judge's calls fail that way), `record` returns the reason to stop,
 * "stopped after 10 items: every call failed the same way: refused (401): Incorrect API key provided.".
 * Anything else among those first records (a scored item, another error, a 5xx or 429) settles it: the
 * run goes on and `record` returns null from then on. Cancelled records are ignored. Once it has said
 * stop it keeps returning the same reason. Pure and synchronous: the CLI engine and the platform's
 * workers feed it the records they store.
 *
 * `after` is capped at `total` (the run's item records) when given, so a 3-item run decides after 3;
 * `after: 0` never stops.
 */
export class FailFast {
  private readonly window: number;
  private seen = 0;
  private signature: string | null = null;
  private message = '';
  private settled = false;
  private reason: string | null = null;

  constructor(options: { after?: number; total?: number } = {}) {
    const after = Math.max(0, Math.floor(options.after ?? DEFAULT_FAIL_FAST_AFTER));
    this.window = options.total === undefined ? after : Math.min(after, Math.max(0, options.total));
    this.settled = this.window === 0;
  }

  /** The reason to stop once the first records all failed the same fatal way; otherwise null. */
  record(outcome: FailFastOutcome): string | null {
    if (this.reason !== null || this.settled || outcome.error?.kind === 'cancelled') {
      return this.reason;
    }
    const signature = outcome.status === 'errored' ? fatalSignature(outcome.error) : null;
    if (signature === null || (this.signature !== null && signature !== this.signature)) {
      this.settled = true;
      return null;
    }
    if (this.signature === null) {
      this.signature = signature;
      this.message = redactSecretText(outcome.error?.message ?? '');
    }
    this.seen += 1;
    if (this.seen >= this.window) {
      this.reason = `stopped after ${this.seen} item${this.seen === 1 ? '' : 's'}: every call failed the same way: ${this.message}`;
    }
    return this.reason;
  }

  /** The reason given, once stopped. */
  get stopped(): string | null {
    return this.reason;
  }
}
