import { type ChatMessage, type DatasetItem } from '../datasets/dataset-item';

/** What the runner asks of the system under test for one item and epoch. */
export interface TargetRequest {
  messages: ChatMessage[];
  /** The text prompt (the rendered template), for targets that take text rather than chat. */
  prompt: string;
  item: DatasetItem;
  epoch: number;
  maxTokens?: number;
  /**
   * Other message lists this request's answer may be filed under in a cassette (a judge's legacy, unfenced
   * prompt), tried in order by ReplayTarget only when `messages` finds no recording. Every other target,
   * and a recording, ignore it: what is sent and recorded is `messages`.
   */
  replayAlternatives?: ChatMessage[][];
}

export interface TargetResponse {
  output: string;
  inputTokens?: number;
  outputTokens?: number;
  /** The model that answered, when the provider says. */
  model?: string;
}

/**
 * The system under test. `call` makes ONE attempt: retries, backoff and timeouts are the runner's job
 * (one place owns them), so SDK-level retries are switched off in every target.
 */
export interface Target {
  readonly type: string;
  /** Human-readable, secret-free: what a report says was tested. */
  readonly description: string;
  /** The configuration that identifies the target, secrets removed; hashed into the run manifest. */
  readonly fingerprint: Record<string, unknown>;
  /** The provider this target rate-limits against (one queue per provider on the platform). */
  readonly provider: string;
  call(request: TargetRequest, signal: AbortSignal): Promise<TargetResponse>;
  close?(): Promise<void>;
}

export type TargetErrorKind =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'client_error'
  | 'invalid_response'
  | 'replay_miss'
  | 'cancelled'
  | 'configuration'
  | 'response_too_large';

const RETRYABLE: readonly TargetErrorKind[] = ['rate_limited', 'server_error', 'timeout', 'network'];

/** A failed call, classified. An item whose calls fail is *errored* (with this reason), never *failed*. */
export class TargetError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly kind: TargetErrorKind,
    message: string,
    readonly details: {
      status?: number;
      retryAfterMs?: number;
      /** The system error code of a network failure: ECONNREFUSED, ENOTFOUND… */
      code?: string;
      /** Fewer attempts than the retry policy allows: a refused connection is tried twice, a bad name once. */
      maxAttempts?: number;
    } = {},
  ) {
    super(message);
    this.name = 'TargetError';
    this.retryable = RETRYABLE.includes(kind);
  }
}

/**
 * Maps what SDKs and fetch throw onto TargetError: HTTP 429 (with Retry-After), 5xx, timeouts,
 * connection failures, other 4xx. Works for the openai SDK's errors and LangChain's wrappings of them.
 */
export function classifyError(error: unknown, signal?: AbortSignal): TargetError {
  if (error instanceof TargetError) {
    return error;
  }
  if (signal?.aborted) {
    return new TargetError('cancelled', 'the run was cancelled');
  }
  // SDKs wrap what fetch threw ("Connection error.") with the original as `cause`.
  const root = causeWithCode(error, (code) => code === 'EGRESS_REFUSED' || code === 'RESPONSE_TOO_LARGE');
  if (root) {
    return root.code === 'EGRESS_REFUSED'
      ? new TargetError('configuration', `refused by the egress policy: ${root.message}`)
      : new TargetError('response_too_large', root.message);
  }
  const system = causeWithCode(error, (code) => Object.hasOwn(NETWORK_CODES, code));
  if (system) {
    return networkError(system);
  }
  const e = error as {
    status?: unknown;
    headers?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const full = typeof e?.message === 'string' ? e.message : String(error);
  // The openai SDK starts its messages with the status: "401 Incorrect API key provided."
  const message =
    status !== undefined && full.startsWith(`${status} `) ? full.slice(`${status} `.length) : full;
  if (status === 429) {
    return new TargetError('rate_limited', `rate limited (429): ${message}`, {
      status,
      retryAfterMs: retryAfterMs(e.headers),
    });
  }
  if (status !== undefined && status >= 500) {
    return new TargetError('server_error', `server error (${status}): ${message}`, { status });
  }
  if (status === 408) {
    return new TargetError('timeout', `request timeout (408): ${message}`, { status });
  }
  if (status !== undefined && status >= 400) {
    return new TargetError('client_error', `refused (${status}): ${message}`, { status });
  }
  const name = typeof e?.name === 'string' ? e.name : '';
  if (/timeout/i.test(name) || /timed? ?out/i.test(message)) {
    return new TargetError('timeout', `timed out: ${message}`);
  }
  if (/connection|fetch failed|ECONNREFUSED|ECONNRESET|socket|network/i.test(`${name} ${message}`)) {
    return new TargetError('network', `connection failed: ${message}`);
  }
  if (name === 'AbortError') {
    return new TargetError('timeout', 'timed out');
  }
  return new TargetError('invalid_response', message);
}

interface CodedCause {
  code: string;
  message: string;
  address?: string;
  port?: number;
  hostname?: string;
}

const SYSTEM_MESSAGE = /^(?:connect|getaddrinfo|read|write|queryA) ([A-Z][A-Z_]+) (\S+)$/;

/**
 * The first error in the `cause` chain (and in an AggregateError's `errors`, as Node's connect raises
 * when it tries IPv6 and IPv4) whose `code` matches, with where it happened.
 */
function causeWithCode(error: unknown, matches: (code: string) => boolean): CodedCause | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { message, cause, errors } = current as Record<string, unknown>;
    let { code, address, port, hostname } = current as Record<string, unknown>;
    // An error that crossed a realm (a Jest sandbox, a copy made by an SDK) may keep only its message:
    // Node's read "connect ECONNREFUSED 127.0.0.1:4199" or "getaddrinfo ENOTFOUND api.example".
    const said =
      typeof code !== 'string' && typeof message === 'string' ? SYSTEM_MESSAGE.exec(message) : null;
    if (said) {
      code = said[1];
      const at = /^(.*):(\d+)$/.exec(said[2]);
      if (at) {
        address = at[1];
        port = Number(at[2]);
      } else {
        hostname = said[2];
      }
    }
    if (typeof code === 'string' && matches(code)) {
      const first = Array.isArray(errors) ? (errors[0] as Record<string, unknown> | undefined) : undefined;
      const where = { address: address ?? first?.address, port: port ?? first?.port, hostname };
      return {
        code,
        message: typeof message === 'string' && message !== '' ? message : code,
        ...(typeof where.address === 'string' ? { address: where.address } : {}),
        ...(typeof where.port === 'number' ? { port: where.port } : {}),
        ...(typeof where.hostname === 'string' ? { hostname: where.hostname } : {}),
      };
    }
    current = cause;
  }
  return null;
}

/**
 * System error codes of failed connections: how each reads, and how many attempts it deserves. A refused
 * connection is tried twice (a server restarting), a name that does not resolve or a certificate that
 * does not verify once: retrying them only multiplies the same failure.
 */
const NETWORK_CODES: Record<string, { says: (where: string) => string; maxAttempts?: number }> = {
  ECONNREFUSED: { says: (where) => `nothing listening on ${where}`, maxAttempts: 2 },
  ENOTFOUND: { says: (where) => `name not resolved: ${where}`, maxAttempts: 1 },
  EAI_AGAIN: { says: (where) => `name lookup failed for now: ${where}` },
  ECONNRESET: { says: (where) => `connection to ${where} reset` },
  EPIPE: { says: (where) => `connection to ${where} closed while sending` },
  ETIMEDOUT: { says: (where) => `connecting to ${where} timed out` },
  EHOSTUNREACH: { says: (where) => `no route to host ${where}` },
  ENETUNREACH: { says: (where) => `network unreachable for ${where}` },
  UND_ERR_CONNECT_TIMEOUT: { says: (where) => `connecting to ${where} timed out` },
  UND_ERR_SOCKET: { says: (where) => `connection to ${where} closed` },
  UND_ERR_CLOSED: { says: (where) => `connection to ${where} closed` },
  CERT_HAS_EXPIRED: { says: (where) => `the certificate of ${where} has expired`, maxAttempts: 1 },
  DEPTH_ZERO_SELF_SIGNED_CERT: { says: (where) => `${where} has a self-signed certificate`, maxAttempts: 1 },
  SELF_SIGNED_CERT_IN_CHAIN: {
    says: (where) => `the certificate chain of ${where} is self-signed`,
    maxAttempts: 1,
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    says: (where) => `the certificate of ${where} cannot be verified`,
    maxAttempts: 1,
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    says: (where) => `the certificate of ${where} is for another name`,
    maxAttempts: 1,
  },
};

function networkError(cause: CodedCause): TargetError {
  const known = NETWORK_CODES[cause.code];
  const host = cause.hostname ?? cause.address;
  const where =
    host === undefined
      ? null
      : cause.port === undefined
        ? host
        : `${host.includes(':') ? `[${host}]` : host}:${cause.port}`;
  const text = where ? known.says(where) : cause.message;
  return new TargetError(
    'network',
    cause.code === 'ENOTFOUND' ? `${text} (${cause.code})` : `connection failed: ${text} (${cause.code})`,
    { code: cause.code, ...(known.maxAttempts === undefined ? {} : { maxAttempts: known.maxAttempts }) },
  );
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; `retry-after-ms` wins when present. */
export function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
  const get = (name: string): string | null => {
    if (headers && typeof (headers as Headers).get === 'function') {
      return (headers as Headers).get(name);
    }
    const value = (headers as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : null;
  };
  const ms = Number(get('retry-after-ms'));
  if (get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) {
    return ms;
  }
  const value = get('retry-after');
  if (value === null) {
    return undefined;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
