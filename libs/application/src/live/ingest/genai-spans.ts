import {
  CONFIG_HASH,
  CONFIG_HASH_ATTRIBUTE,
  jsonTextTooDeep,
  LIVE_LIMITS,
  type LiveSpan,
} from '@gatehouse/domain';
import { type AttrMap, type AttrValue, type OtlpSpan } from './otlp-spans';

/** Why a span was refused (counted in the OTLP partial success). */
export type SpanRejection = 'invalid_id' | 'no_start_time' | 'too_old' | 'in_future';

export type SpanReading =
  /** Not a model call (no gen_ai.* attribute): skipped silently, as the OTLP spec lets a receiver do. */
  | { kind: 'skipped' }
  | { kind: 'rejected'; reason: SpanRejection }
  /** `ignoredConfigHash`: the span or its resource carried a config hash that is not a sha256 hex digest. */
  | { kind: 'accepted'; span: LiveSpan; ignoredConfigHash: boolean };

/** The cost attribute Gatehouse reads (the GenAI conventions have none): US dollars, a number. */
export const COST_ATTRIBUTE = 'gatehouse.cost_usd';

const MAX_INT32 = 2_147_483_647;
const MS_PER_DAY = 86_400_000;

/** When a span may have started, relative to `now` (LIVE_LIMITS: 30 days back, 10 minutes ahead). */
export function startBounds(now: Date): { earliest: number; latest: number } {
  return {
    earliest: now.getTime() - LIVE_LIMITS.maxAgeDays * MS_PER_DAY,
    latest: now.getTime() + LIVE_LIMITS.maxClockSkewMinutes * 60_000,
  };
}

/**
 * How much JSON held in string attributes (`gen_ai.input.messages` as a JSON string…) one request may have
 * parsed, in containers (`[` and `{`, counted inside strings too). Parsing costs about a microsecond and
 * ~150 bytes of memory per container, several times what reading the same bytes costs otherwise: 4 MiB of
 * `[[],[],…]` (4 KB gzipped) took a second of the event loop. A request may parse one container per 16
 * bytes of its (inflated) body, and 1,024 at least (a millisecond), so a byte costs about what it costs in
 * an ordinary export, whatever it holds (the byte rate limit then bounds the work). A list of chat messages
 * has at most one container per 14 bytes with every text empty, and an export carries ids, times and
 * attributes besides, so real messages are parsed. Strings past the budget are kept as the text they are: still cut, scanned for personal data
 * and redacted, never hidden.
 */
export interface JsonBudget {
  containers: number;
}
const BODY_BYTES_PER_JSON_CONTAINER = 16;
const MIN_JSON_CONTAINERS = 1_024;

/** The JSON budget of a request whose body is `bodyBytes` long once inflated. */
export function jsonBudgetFor(bodyBytes: number): JsonBudget {
  return {
    containers: Math.max(MIN_JSON_CONTAINERS, Math.floor(bodyBytes / BODY_BYTES_PER_JSON_CONTAINER)),
  };
}

/**
 * Reads one OTLP span as a model call by the OpenTelemetry GenAI semantic conventions: model, operation,
 * token usage, the prompt (the last user message) and the completion (the first choice) from
 * `gen_ai.input.messages`/`gen_ai.output.messages` (current), `gen_ai.prompt`/`gen_ai.completion` (older, plain
 * or JSON, or indexed `gen_ai.prompt.N.content`), or the `gen_ai.*.message`/`gen_ai.choice` span events.
 */
export function readGenAiSpan(
  span: OtlpSpan,
  now: Date,
  budget: JsonBudget = { containers: Infinity },
): SpanReading {
  if (!isModelCall(span)) {
    return { kind: 'skipped' };
  }
  if (!span.traceId || !span.spanId) {
    return { kind: 'rejected', reason: 'invalid_id' };
  }
  if (span.startNs === null || span.startNs <= 0) {
    return { kind: 'rejected', reason: 'no_start_time' };
  }
  const startedMs = span.startNs / 1e6;
  const { earliest, latest } = startBounds(now);
  if (startedMs < earliest) {
    return { kind: 'rejected', reason: 'too_old' };
  }
  if (startedMs > latest) {
    return { kind: 'rejected', reason: 'in_future' };
  }
  const a = span.attributes;
  const reportedHash = text(a.get(CONFIG_HASH_ATTRIBUTE)) ?? text(span.resource.get(CONFIG_HASH_ATTRIBUTE));
  const configHash = reportedHash !== null && CONFIG_HASH.test(reportedHash) ? reportedHash : null;
  const durationMs =
    span.endNs !== null && span.endNs >= span.startNs
      ? Math.round((span.endNs - span.startNs) / 1e3) / 1e3
      : null;
  return {
    kind: 'accepted',
    ignoredConfigHash: reportedHash !== null && configHash === null,
    span: {
      traceId: span.traceId,
      spanId: span.spanId,
      startedAt: new Date(Math.floor(startedMs)),
      durationMs,
      operation: cut(text(a.get('gen_ai.operation.name')), 60),
      model: cut(text(a.get('gen_ai.response.model')) ?? text(a.get('gen_ai.request.model')), 200),
      inputTokens: count(a.get('gen_ai.usage.input_tokens') ?? a.get('gen_ai.usage.prompt_tokens')),
      outputTokens: count(a.get('gen_ai.usage.output_tokens') ?? a.get('gen_ai.usage.completion_tokens')),
      costUsd: cost(a.get(COST_ATTRIBUTE)),
      configHash,
      errored: span.errored,
      input: promptOf(span, budget),
      output: completionOf(span, budget),
    },
  };
}

function isModelCall(span: OtlpSpan): boolean {
  for (const key of span.attributes.keys()) {
    if (key.startsWith('gen_ai.')) {
      return true;
    }
  }
  return span.events.some((e) => e.name.startsWith('gen_ai.'));
}

/** A string attribute (numbers and booleans as text), without NUL characters (PostgreSQL cannot store them). */
function text(value: AttrValue | undefined): string | null {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? value.split('\u0000').join('') : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return null;
}

function cut(value: string | null, max: number): string | null {
  return value === null || value === '' ? null : value.slice(0, max);
}

function count(value: AttrValue | undefined): number | null {
  const n = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_INT32 ? n : null;
}

function cost(value: AttrValue | undefined): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1e9 ? n : null;
}

// -------------------------------------------------------------------------------------------------------
// prompts and completions
// -------------------------------------------------------------------------------------------------------

function promptOf(span: OtlpSpan, budget: JsonBudget): string | null {
  const a = span.attributes;
  return (
    messagesText(a.get('gen_ai.input.messages'), 'last-user', budget) ??
    messagesText(a.get('gen_ai.prompt'), 'last-user', budget) ??
    indexed(a, 'gen_ai.prompt', 'last-user') ??
    fromEvents(span, 'input', budget)
  );
}

function completionOf(span: OtlpSpan, budget: JsonBudget): string | null {
  const a = span.attributes;
  return (
    messagesText(a.get('gen_ai.output.messages'), 'first', budget) ??
    messagesText(a.get('gen_ai.completion'), 'first', budget) ??
    indexed(a, 'gen_ai.completion', 'first') ??
    fromEvents(span, 'output', budget)
  );
}

function fromEvents(span: OtlpSpan, side: 'input' | 'output', budget: JsonBudget): string | null {
  if (side === 'input') {
    for (let i = span.events.length - 1; i >= 0; i--) {
      const event = span.events[i];
      const found =
        messagesText(event.attributes.get('gen_ai.input.messages'), 'last-user', budget) ??
        (event.name === 'gen_ai.user.message' ? eventText(event.attributes, budget) : null) ??
        (event.name === 'gen_ai.content.prompt'
          ? messagesText(event.attributes.get('gen_ai.prompt'), 'last-user', budget)
          : null);
      if (found !== null) {
        return found;
      }
    }
    return null;
  }
  const choices = span.events.filter((e) => e.name === 'gen_ai.choice');
  const first = choices.find((e) => Number(plain(e.attributes.get('index')) ?? 0) === 0) ?? choices[0];
  if (first) {
    const found = eventText(first.attributes, budget);
    if (found !== null) {
      return found;
    }
  }
  for (const event of span.events) {
    const found =
      messagesText(event.attributes.get('gen_ai.output.messages'), 'first', budget) ??
      (event.name === 'gen_ai.content.completion'
        ? messagesText(event.attributes.get('gen_ai.completion'), 'first', budget)
        : null);
    if (found !== null) {
      return found;
    }
  }
  return null;
}

/** A message event's text: `content`, `message` (`{content}`), or the JSON body in `gen_ai.event.content`. */
function eventText(attributes: AttrMap, budget: JsonBudget): string | null {
  for (const key of ['content', 'message', 'gen_ai.event.content']) {
    const found = messagesText(attributes.get(key), 'first', budget);
    if (found !== null) {
      return found;
    }
  }
  return null;
}

/** `gen_ai.prompt.0.role` / `gen_ai.prompt.0.content`, … (the indexed form some instrumentations write). */
function indexed(attributes: AttrMap, prefix: string, pick: 'last-user' | 'first'): string | null {
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d{1,6})\\.content$`);
  const found: { i: number; role: string | null; content: string }[] = [];
  for (const [key, value] of attributes) {
    const m = pattern.exec(key);
    const content = m ? text(value) : null;
    if (m && content !== null) {
      const i = Number(m[1]);
      found.push({ i, role: text(attributes.get(`${prefix}.${i}.role`)), content });
    }
  }
  if (found.length === 0) {
    return null;
  }
  found.sort((x, y) => x.i - y.i);
  if (pick === 'first') {
    return found[0].content;
  }
  const users = found.filter((f) => f.role === 'user');
  return (users.length ? users[users.length - 1] : found[found.length - 1]).content;
}

/**
 * The text of a messages value: a JSON string or a structured attribute holding a list of messages
 * (`[{role, parts: [{type: 'text', content}]}]`, or `{role, content}` with content a string or OpenAI-style
 * parts), one message, or plain text.
 */
function messagesText(
  value: AttrValue | undefined,
  pick: 'last-user' | 'first',
  budget: JsonBudget,
): string | null {
  if (value === undefined) {
    return null;
  }
  const data = typeof value === 'string' ? maybeJson(value, budget) : plain(value);
  if (typeof data === 'string') {
    return data === '' ? null : text(data);
  }
  if (Array.isArray(data)) {
    if (data.length === 0) {
      return null;
    }
    if (pick === 'first') {
      return messageText(data[0]);
    }
    const users = data.filter((m) => isRecord(m) && m.role === 'user');
    return messageText(users.length ? users[users.length - 1] : data[data.length - 1]);
  }
  return messageText(data);
}

/** `depth`: a choice wraps its message once (`{message: {content}}`); deeper wrapping is not a message. */
function messageText(message: unknown, depth = 0): string | null {
  if (typeof message === 'string') {
    return message === '' ? null : text(message);
  }
  if (!isRecord(message)) {
    return null;
  }
  if (Array.isArray(message.parts)) {
    return partsText(message.parts);
  }
  if (typeof message.content === 'string') {
    return text(message.content);
  }
  if (Array.isArray(message.content)) {
    return partsText(message.content);
  }
  if (isRecord(message.message) && depth < 2) {
    return messageText(message.message, depth + 1);
  }
  if (typeof message.text === 'string') {
    return text(message.text);
  }
  return null;
}

function partsText(parts: unknown[]): string | null {
  const texts = parts
    .map((p) =>
      typeof p === 'string'
        ? p
        : isRecord(p) && (p.type === undefined || p.type === 'text')
          ? typeof p.content === 'string'
            ? p.content
            : typeof p.text === 'string'
              ? p.text
              : null
          : null,
    )
    .filter((t): t is string => t !== null);
  return texts.length ? text(texts.join('\n')) : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON when it looks like a JSON array or object, parses, is nested no deeper than Gatehouse allows and fits
 * in what is left of the request's JSON budget (which it then uses up).
 */
function maybeJson(value: string, budget: JsonBudget): unknown {
  const first = value.trimStart()[0];
  if (first !== '[' && first !== '{') {
    return value;
  }
  const containers = containersUpTo(value, budget.containers + 1);
  if (containers > budget.containers) {
    return value;
  }
  budget.containers -= containers;
  if (!jsonTextTooDeep(value)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

/** How many `[` and `{` `text` holds, counted up to `limit` at most (the engine's string search, no loop per character). */
function containersUpTo(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf('['); i >= 0 && n < limit; i = text.indexOf('[', i + 1)) {
    n++;
  }
  for (let i = text.indexOf('{'); i >= 0 && n < limit; i = text.indexOf('{', i + 1)) {
    n++;
  }
  return n;
}

/** An attribute value as plain data (a key-value list as an object of own properties). */
function plain(value: AttrValue | undefined): unknown {
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  }
  if (Array.isArray(value)) {
    return value.map(plain);
  }
  return value instanceof Uint8Array ? null : value;
}
