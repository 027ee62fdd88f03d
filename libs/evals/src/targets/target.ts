import { type ChatMessage, type DatasetItem } from '../datasets/dataset-item';

/** What the runner asks of the system under test for one item and epoch. */
export interface TargetRequest {
  messages: ChatMessage[];
  /** The text prompt (the rendered template), for targets that take text rather than chat. */
  prompt: string;
  item: DatasetItem;
  epoch: number;
  maxTokens?: number;
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
    readonly details: { status?: number; retryAfterMs?: number } = {},
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
  const root = causeWithCode(error, ['EGRESS_REFUSED', 'RESPONSE_TOO_LARGE']);
  if (root) {
    return root.code === 'EGRESS_REFUSED'
      ? new TargetError('configuration', `refused by the egress policy: ${root.message}`)
      : new TargetError('response_too_large', root.message);
  }
  const e = error as {
    status?: unknown;
    headers?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const status = typeof e?.status === 'number' ? e.status : undefined;
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

function causeWithCode(error: unknown, codes: string[]): { code: string; message: string } | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && codes.includes(code)) {
      return { code, message: typeof message === 'string' ? message : code };
    }
    current = cause;
  }
  return null;
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
