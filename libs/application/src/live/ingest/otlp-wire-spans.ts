import { LIVE_LIMITS } from '@gatehouse/domain';
import { isUtf8 } from 'node:buffer';
import {
  type AttrMap,
  type AttrValue,
  checkSpanCount,
  OtlpRequestError,
  type OtlpSpan,
  tooDeep,
  under,
} from './otlp-spans';
import { EGROUP, I32, I64, LEN, SGROUP, VARINT } from './protobuf-wire-types';

/**
 * The spans of a protobuf ExportTraceServiceRequest read straight from its bytes: the same OtlpSpan[] as
 * `spansFromProtobuf(decodeTraceRequest(bytes))`, in about a quarter of the time and a fifth of the garbage,
 * with no protobufjs message objects in between (a 200-span, 151 KiB exporter body: 0.39 ms against 1.4 ms).
 *
 * It reads the fields otlp-messages.ts declares and skips every other by its wire type, with protobufjs's
 * semantics wherever a sender could tell them apart (checked field by field against protobufjs 8 by the
 * differential and fuzz tests in otlp-wire-spans.spec.ts):
 * - a declared field with another wire type than its own is skipped as an unknown field;
 * - a repeated singular scalar field: the last one wins, and a zero or empty one clears the earlier (ids,
 *   times, the status code, an event's name, a key: proto3 implicit presence);
 * - strings must be valid UTF-8, every declared string field (a span's name and a status message too,
 *   though they are not read): protobufjs 8 decodes them strictly (proto3) and refuses the body otherwise;
 * - a repeated singular message field (a span's status, a resource spans' resource, a key-value's value, an
 *   array or key-value list value) is merged: its lists are appended, its scalars the last wins;
 * - the AnyValue oneof: the member last set wins, and setting another member drops the earlier one (so an
 *   array value, then a string value, then an array value again holds only the last array's values);
 * - int64 as Long#toNumber (signed, rounded to the nearest double), fixed64 times as unsigned, bytes
 *   values as views of the body (a Buffer when the body is one, as protobufjs's BufferReader gives);
 * - varints, lengths and tags read and bounded exactly as protobufjs's reader does (a tag's or a length's
 *   fifth byte, ten bytes at most for a 64-bit value, any length for a skipped one), messages nested at most
 *   100 deep (groups included), field number 0 and wire types 4 (outside a group), 6 and 7 refused.
 * The limits of LIVE_LIMITS apply as in spansFromProtobuf, and its refusals are the same OtlpRequestErrors
 * (same field path, message and code): only the first LIVE_LIMITS.maxAttributesPerSpan attributes, events,
 * array values and key-value list entries are read, values nested deeper than LIVE_LIMITS.maxValueDepth are
 * refused ('too_deep', the first one in the order spansFromProtobuf reads them), and more spans than
 * LIVE_LIMITS.maxSpansPerRequest refuse the request ('too_many_spans') before any other refusal.
 *
 * Bytes that are not a protobuf ExportTraceServiceRequest (truncated, a length past the end of its message,
 * a malformed varint or group, nesting past 100, invalid UTF-8 in a string) throw a plain Error, where
 * protobufjs's decode throws: callers answer it as they answer a decode failure (400 'invalid_protobuf'); an
 * OtlpRequestError is the refusal of a request that is well formed. Like protobufjs, the whole body is read before any OtlpRequestError is
 * thrown, so a malformed body is always reported as malformed. Linear in the bytes whatever they are: every
 * loop advances through the body, and recursion is bounded by the 100 levels.
 *
 * Run checkOtlpWireBounds (otlp-wire-bounds.ts) first on a sender's body: it bounds the work per byte.
 */
export function spansFromProtobufBody(bytes: Uint8Array): OtlpSpan[] {
  return new WireSpanReader(bytes).read();
}

const MAX_ATTRIBUTES = LIVE_LIMITS.maxAttributesPerSpan;
const MAX_DEPTH = LIVE_LIMITS.maxValueDepth;
const MAX_SPANS = LIVE_LIMITS.maxSpansPerRequest;
/** protobufjs's Reader.recursionLimit (protoc's default): a message nested deeper refuses the body. */
const RECURSION_LIMIT = 100;

// The AnyValue oneof's members, by field number.
const NONE = 0;
const STRING = 1;
const BOOL = 2;
const INT = 3;
const DOUBLE = 4;
const ARRAY = 5;
const KVLIST = 6;
const BYTES = 7;

const TWO_32 = 4294967296;

/**
 * The keys last read at each position of the first KEY_SLOTS attributes of spans, events and resources
 * (ASCII keys only), shared by every request: most senders send the same keys in the same order.
 */
const KEY_SLOTS = 32;
const SPAN_KEYS = 0;
const EVENT_KEYS = KEY_SLOTS;
const RESOURCE_KEYS = 2 * KEY_SLOTS;
const KEY_CACHE: (string | undefined)[] = new Array<string | undefined>(3 * KEY_SLOTS).fill(undefined);
/**
 * The longest key KEY_CACHE keeps: the cache outlives the request, so a sender's megabyte-long keys (one
 * per position, each after keys that are not cached) would otherwise stay on the heap, 3 * KEY_SLOTS of them.
 */
const MAX_CACHED_KEY = 128;

/**
 * An AnyValue being read. A key-value's value field may come more than once (protobuf merges them), so its
 * state outlives one read of the message; one state per nesting level, reused (nothing allocated per value).
 */
interface ValueState {
  kind: number;
  /** The member's value; for an array or key-value list, the list being filled. */
  value: AttrValue | undefined;
  /** The array's or key-value list's entries so far (read or not). */
  seen: number;
  /** The first refusal among them, with its path from the value down. */
  error: OtlpRequestError | undefined;
}

type Utf8Buffer = Buffer & {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
};

class WireSpanReader {
  private readonly buf: Utf8Buffer;
  private pos = 0;
  private spanCount = 0;
  private readonly spans: OtlpSpan[] = [];
  /** The first refusal in the order spansFromProtobuf reads the request (thrown once the body is read). */
  private firstError: OtlpRequestError | undefined = undefined;
  /** The key of the key-value keyValue() last read. */
  private key = '';
  private readonly states: ValueState[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.buf = (
      Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    ) as Utf8Buffer;
  }

  read(): OtlpSpan[] {
    const end = this.buf.length;
    let r = 0;
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag >>> 3 === 1 && (tag & 7) === LEN) {
        this.resourceSpans(this.lenEnd(end), 1, r++);
      } else {
        this.skipType(tag & 7, 0, tag >>> 3, end);
      }
    }
    checkSpanCount(this.spanCount);
    if (this.firstError) {
      throw this.firstError;
    }
    return this.spans;
  }

  // --- messages -----------------------------------------------------------------------------------------

  private resourceSpans(end: number, q: number, r: number): void {
    enter(q);
    const resource: AttrMap = new Map();
    let attributes = 0;
    let resourceError: OtlpRequestError | undefined;
    let spanError: OtlpRequestError | undefined;
    let s = 0;
    while (this.pos < end) {
      const tag = this.tag(end);
      const field = tag >>> 3;
      if (field === 1 && (tag & 7) === LEN) {
        // Resource (merged when it comes again: its attributes are appended).
        const to = this.lenEnd(end);
        enter(q + 1);
        while (this.pos < to) {
          const t = this.tag(to);
          if (t >>> 3 === 1 && (t & 7) === LEN) {
            const kv = this.lenEnd(to);
            if (resourceError === undefined) {
              resourceError = this.entry(resource, attributes, kv, q + 2, RESOURCE_KEYS);
            } else {
              this.keyValue(kv, q + 2, 1, false, -1);
            }
            attributes++;
          } else {
            this.skipType(t & 7, q + 1, t >>> 3, to);
          }
        }
      } else if (field === 2 && (tag & 7) === LEN) {
        const error = this.scopeSpans(this.lenEnd(end), q + 1, resource, r, s++);
        if (spanError === undefined) {
          spanError = error;
        }
      } else {
        this.skipType(tag & 7, q, field, end);
      }
    }
    if (this.firstError === undefined) {
      this.firstError = resourceError
        ? (under(`resourceSpans[${r}].resource.attributes`, resourceError) as OtlpRequestError)
        : spanError;
    }
  }

  /** A ScopeSpans' spans; returns the first refusal among them, its path from the request down. */
  private scopeSpans(
    end: number,
    q: number,
    resource: AttrMap,
    r: number,
    s: number,
  ): OtlpRequestError | undefined {
    enter(q);
    let k = 0;
    let first: OtlpRequestError | undefined;
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag >>> 3 === 2 && (tag & 7) === LEN) {
        const error = this.span(this.lenEnd(end), q + 1, resource, ++this.spanCount <= MAX_SPANS);
        if (error && first === undefined) {
          first = under(`resourceSpans[${r}].scopeSpans[${s}].spans[${k}]`, error) as OtlpRequestError;
        }
        k++;
      } else {
        this.skipType(tag & 7, q, tag >>> 3, end);
      }
    }
    return first;
  }

  /**
   * A Span, added to the spans when `build` (spans past the request's limit are only checked: the request is
   * refused). Returns its first refusal, its path from the span down.
   */
  private span(end: number, q: number, resource: AttrMap, build: boolean): OtlpRequestError | undefined {
    enter(q);
    const buf = this.buf;
    let traceFrom = 0;
    let traceTo = 0;
    let spanFrom = 0;
    let spanTo = 0;
    let startNs = 0;
    let endNs = 0;
    let code = 0;
    const attributes: AttrMap = new Map();
    let attributeCount = 0;
    let attributeError: OtlpRequestError | undefined;
    const events: OtlpSpan['events'] = [];
    let eventCount = 0;
    let eventError: OtlpRequestError | undefined;
    while (this.pos < end) {
      let tag = buf[this.pos];
      if (tag < 0x80) {
        this.pos++;
      } else {
        tag = this.tag(end);
      }
      const type = tag & 7;
      switch (tag >>> 3) {
        case 1:
          if (type === LEN) {
            traceTo = this.lenEnd(end);
            traceFrom = this.pos;
            this.pos = traceTo;
            continue;
          }
          break;
        case 2:
          if (type === LEN) {
            spanTo = this.lenEnd(end);
            spanFrom = this.pos;
            this.pos = spanTo;
            continue;
          }
          break;
        case 5:
          if (type === LEN) {
            // The name: not read, but protobufjs decodes it and refuses invalid UTF-8.
            const to = this.lenEnd(end);
            this.checkUtf8(this.pos, to);
            this.pos = to;
            continue;
          }
          break;
        case 7:
          if (type === I64) {
            startNs = this.fixed64(end);
            continue;
          }
          break;
        case 8:
          if (type === I64) {
            endNs = this.fixed64(end);
            continue;
          }
          break;
        case 9:
          if (type === LEN) {
            const to = this.lenEnd(end);
            if (attributeError === undefined) {
              attributeError = this.entry(build ? attributes : null, attributeCount, to, q + 1, SPAN_KEYS);
            } else {
              this.keyValue(to, q + 1, 1, false, -1);
            }
            attributeCount++;
            continue;
          }
          break;
        case 11:
          if (type === LEN) {
            const to = this.lenEnd(end);
            const read = build && eventCount < MAX_ATTRIBUTES;
            const error = this.event(to, q + 1, read ? events : null);
            if (error && eventError === undefined) {
              eventError = under(`.events[${eventCount}].attributes`, error) as OtlpRequestError;
            }
            eventCount++;
            continue;
          }
          break;
        case 15:
          if (type === LEN) {
            // Status (merged when it comes again: its code is the last one read).
            const to = this.lenEnd(end);
            enter(q + 1);
            while (this.pos < to) {
              const t = this.tag(to);
              if (t >>> 3 === 3 && (t & 7) === VARINT) {
                code = this.int32(to);
              } else if (t >>> 3 === 2 && (t & 7) === LEN) {
                const messageEnd = this.lenEnd(to);
                this.checkUtf8(this.pos, messageEnd); // the message: not read, but decoded by protobufjs
                this.pos = messageEnd;
              } else {
                this.skipType(t & 7, q + 1, t >>> 3, to);
              }
            }
            continue;
          }
          break;
      }
      this.skipType(type, q, tag >>> 3, end);
    }
    if (build) {
      this.spans.push({
        traceId: traceTo - traceFrom === 16 ? this.id(traceFrom, traceTo) : null,
        spanId: spanTo - spanFrom === 8 ? this.id(spanFrom, spanTo) : null,
        startNs,
        endNs,
        attributes,
        events,
        errored: code === 2,
        resource,
      });
    }
    return attributeError ? (under('.attributes', attributeError) as OtlpRequestError) : eventError;
  }

  /**
   * A string field: UTF-8 that protobufjs 8 decodes strictly (proto3's utf8_validation VERIFY): invalid
   * UTF-8 throws, as its decode does. A decoding without U+FFFD met no invalid sequence; one with it is
   * checked (the sender may have sent U+FFFD itself).
   */
  private utf8(from: number, to: number): string {
    if (from === to) {
      return '';
    }
    const text = this.buf.utf8Slice(from, to);
    if (text.includes('\ufffd') && !isUtf8(this.buf.subarray(from, to))) {
      throw invalidUtf8(from);
    }
    return text;
  }

  /**
   * A key, from KEY_CACHE when the key at `slot` was these bytes (exporters write a span's attributes in the
   * same order span after span): no string to make, and one whose hash the maps already computed.
   */
  private cachedKey(from: number, to: number, slot: number): string {
    const buf = this.buf;
    const length = to - from;
    const cached = KEY_CACHE[slot];
    if (cached !== undefined && cached.length === length) {
      let i = 0;
      while (i < length && cached.charCodeAt(i) === buf[from + i]) {
        i++;
      }
      if (i === length) {
        return cached;
      }
    }
    const key = this.utf8(from, to);
    if (key.length === length && length <= MAX_CACHED_KEY) {
      KEY_CACHE[slot] = key; // valid UTF-8 as long as its bytes is ASCII: its bytes are its char codes
    }
    return key;
  }

  /** A string field that is not read: checked as utf8() does. */
  private checkUtf8(from: number, to: number): void {
    const buf = this.buf;
    for (let i = from; i < to; i++) {
      if (buf[i] >= 0x80) {
        if (!isUtf8(buf.subarray(from, to))) {
          throw invalidUtf8(from);
        }
        return;
      }
    }
  }

  /** An id as lowercase hex, or null when all its bytes are zero (its length is checked by the caller). */
  private id(from: number, to: number): string | null {
    const buf = this.buf;
    for (let i = from; i < to; i++) {
      if (buf[i] !== 0) {
        return buf.hexSlice(from, to);
      }
    }
    return null;
  }

  /** An Event, added to `events` unless null; returns the first refusal among its attributes (`[i].value…`). */
  private event(end: number, q: number, events: OtlpSpan['events'] | null): OtlpRequestError | undefined {
    enter(q);
    const attributes: AttrMap | null = events ? new Map() : null;
    let name = '';
    let count = 0;
    let error: OtlpRequestError | undefined;
    while (this.pos < end) {
      const tag = this.tag(end);
      const field = tag >>> 3;
      if (field === 2 && (tag & 7) === LEN) {
        const to = this.lenEnd(end);
        if (events) {
          name = this.utf8(this.pos, to);
        } else {
          this.checkUtf8(this.pos, to);
        }
        this.pos = to;
      } else if (field === 3 && (tag & 7) === LEN) {
        const to = this.lenEnd(end);
        if (error === undefined) {
          error = this.entry(attributes, count, to, q + 1, EVENT_KEYS);
        } else {
          this.keyValue(to, q + 1, 1, false, -1);
        }
        count++;
      } else {
        this.skipType(tag & 7, q, field, end);
      }
    }
    if (events && attributes) {
      events.push({ name, attributes });
    }
    return error;
  }

  /**
   * The `seen`th KeyValue of an attribute list at depth 1 (a span's, an event's, a resource's), read into
   * `map` when it is one of the first MAX_ATTRIBUTES and `map` is not null (else only checked). Returns its
   * refusal with its path from the list down (`[i].value…`).
   */
  private entry(
    map: AttrMap | null,
    seen: number,
    end: number,
    q: number,
    slots: number,
  ): OtlpRequestError | undefined {
    if (map === null || seen >= MAX_ATTRIBUTES) {
      this.keyValue(end, q, 1, false, -1);
      return undefined;
    }
    const value = this.keyValue(end, q, 1, true, seen < KEY_SLOTS ? slots + seen : -1);
    if (value instanceof OtlpRequestError) {
      return under(`[${seen}].value`, value) as OtlpRequestError;
    }
    const key = this.key;
    if (key && value !== undefined && !map.has(key)) {
      map.set(key, value);
    }
    return undefined;
  }

  /**
   * A KeyValue whose value is at `depth`; when `read`, returns its value (undefined when none is set) or the
   * refusal of it (path from the value down), and leaves its key in this.key. Else only checks it. Its key
   * is looked up in KEY_CACHE at `slot` unless it is -1.
   */
  private keyValue(
    end: number,
    q: number,
    depth: number,
    read: boolean,
    slot: number,
  ): AttrValue | OtlpRequestError | undefined {
    enter(q);
    const state = this.state(q + 1);
    let key = '';
    while (this.pos < end) {
      const tag = this.tag(end);
      const field = tag >>> 3;
      if (field === 1 && (tag & 7) === LEN) {
        const to = this.lenEnd(end);
        if (read) {
          key = slot < 0 ? this.utf8(this.pos, to) : this.cachedKey(this.pos, to, slot);
        } else {
          this.checkUtf8(this.pos, to);
        }
        this.pos = to;
      } else if (field === 2 && (tag & 7) === LEN) {
        this.anyValue(this.lenEnd(end), q + 1, depth, read && depth <= MAX_DEPTH, state);
      } else {
        this.skipType(tag & 7, q, field, end);
      }
    }
    if (!read) {
      return undefined;
    }
    this.key = key;
    return valueOf(state, depth);
  }

  /** The reusable state of the AnyValue at nesting level q, emptied. */
  private state(q: number): ValueState {
    let state = this.states[q];
    if (state === undefined) {
      state = { kind: NONE, value: undefined, seen: 0, error: undefined };
      this.states[q] = state;
    } else {
      state.kind = NONE;
      state.value = undefined;
      state.seen = 0;
      state.error = undefined;
    }
    return state;
  }

  /** An AnyValue (or the next part of one) into `state`; its members are read only when `build`. */
  private anyValue(end: number, q: number, depth: number, build: boolean, state: ValueState): void {
    enter(q);
    const buf = this.buf;
    while (this.pos < end) {
      let tag = buf[this.pos];
      if (tag < 0x80) {
        this.pos++;
      } else {
        tag = this.tag(end);
      }
      const type = tag & 7;
      switch (tag >>> 3) {
        case STRING:
          if (type === LEN) {
            const to = this.lenEnd(end);
            state.kind = STRING;
            if (build) {
              state.value = this.utf8(this.pos, to);
            } else {
              this.checkUtf8(this.pos, to);
              state.value = undefined;
            }
            this.pos = to;
            continue;
          }
          break;
        case BOOL:
          if (type === VARINT) {
            state.kind = BOOL;
            state.value = this.bool(end);
            continue;
          }
          break;
        case INT:
          if (type === VARINT) {
            state.kind = INT;
            state.value = this.int64(end);
            continue;
          }
          break;
        case DOUBLE:
          if (type === I64) {
            if (this.pos + 8 > end) {
              throw truncated(this.pos);
            }
            state.kind = DOUBLE;
            state.value = buf.readDoubleLE(this.pos);
            this.pos += 8;
            continue;
          }
          break;
        case ARRAY:
          if (type === LEN) {
            const to = this.lenEnd(end);
            if (state.kind !== ARRAY) {
              state.kind = ARRAY;
              state.value = build ? [] : undefined;
              state.seen = 0;
              state.error = undefined;
            }
            this.arrayValue(to, q + 1, depth, build, state);
            continue;
          }
          break;
        case KVLIST:
          if (type === LEN) {
            const to = this.lenEnd(end);
            if (state.kind !== KVLIST) {
              state.kind = KVLIST;
              state.value = build ? new Map() : undefined;
              state.seen = 0;
              state.error = undefined;
            }
            this.kvlistValue(to, q + 1, depth, build, state);
            continue;
          }
          break;
        case BYTES:
          if (type === LEN) {
            const to = this.lenEnd(end);
            state.kind = BYTES;
            state.value = build ? this.bytes.subarray(this.pos, to) : undefined;
            this.pos = to;
            continue;
          }
          break;
      }
      this.skipType(type, q, tag >>> 3, end);
    }
  }

  /** An ArrayValue's values (depth + 1) appended to the array of `state`, the first MAX_ATTRIBUTES read. */
  private arrayValue(end: number, q: number, depth: number, build: boolean, state: ValueState): void {
    enter(q);
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag >>> 3 === 1 && (tag & 7) === LEN) {
        const to = this.lenEnd(end);
        const i = state.seen++;
        const read = build && i < MAX_ATTRIBUTES && state.error === undefined;
        const item = this.state(q + 1);
        this.anyValue(to, q + 1, depth + 1, read && depth + 1 <= MAX_DEPTH, item);
        if (read) {
          const value = valueOf(item, depth + 1);
          if (value instanceof OtlpRequestError) {
            state.error = under(`.arrayValue.values[${i}]`, value) as OtlpRequestError;
          } else if (value !== undefined) {
            (state.value as AttrValue[]).push(value);
          }
        }
      } else {
        this.skipType(tag & 7, q, tag >>> 3, end);
      }
    }
  }

  /** A KeyValueList's values (depth + 1) into the map of `state`, the first MAX_ATTRIBUTES read. */
  private kvlistValue(end: number, q: number, depth: number, build: boolean, state: ValueState): void {
    enter(q);
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag >>> 3 === 1 && (tag & 7) === LEN) {
        const to = this.lenEnd(end);
        const i = state.seen++;
        const read = build && i < MAX_ATTRIBUTES && state.error === undefined;
        const value = this.keyValue(to, q + 1, depth + 1, read, -1);
        if (read) {
          if (value instanceof OtlpRequestError) {
            state.error = under('.kvlistValue.values', under(`[${i}].value`, value)) as OtlpRequestError;
          } else {
            const map = state.value as AttrMap;
            const key = this.key;
            if (key && value !== undefined && !map.has(key)) {
              map.set(key, value);
            }
          }
        }
      } else {
        this.skipType(tag & 7, q, tag >>> 3, end);
      }
    }
  }

  // --- the wire (as protobufjs's Reader reads it) -------------------------------------------------------

  /** A tag: a varint of at most five bytes before `end`, the fifth at most 0x0f. */
  private tag(end: number): number {
    return this.varint32(end, 0x0f);
  }

  /** A length-delimited field's length; returns where the field ends (not past `end`). */
  private lenEnd(end: number): number {
    const buf = this.buf;
    const pos = this.pos;
    let length: number;
    if (pos < end && buf[pos] < 0x80) {
      length = buf[pos];
      this.pos = pos + 1;
    } else {
      length = this.varint32(end, 0x07);
    }
    const to = this.pos + length;
    if (to > end) {
      throw truncated(this.pos);
    }
    return to;
  }

  /** A tag or a length: at most five bytes, the fifth at most `maxFifth` (protobufjs refuses others). */
  private varint32(end: number, maxFifth: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) {
        throw truncated(pos);
      }
      const byte = buf[pos++];
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    if (pos >= end) {
      throw truncated(pos);
    }
    const fifth = buf[pos++];
    if (fifth > maxFifth) {
      throw malformed(pos - 1, 'a tag or length that does not fit in 32 bits');
    }
    this.pos = pos;
    return (value | (fifth << 28)) >>> 0;
  }

  /** An int32 (the status code): a varint of at most ten bytes, its low 32 bits. */
  private int32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) {
        throw truncated(pos);
      }
      const byte = buf[pos++];
      if (i < 5) {
        value |= (byte & 0x7f) << (7 * i);
      }
      if (byte < 0x80) {
        this.pos = pos;
        return value | 0;
      }
    }
    throw malformed(pos, 'a varint longer than 10 bytes');
  }

  /** A bool: a varint of at most ten bytes, true when any of its bits is set. */
  private bool(end: number): boolean {
    const buf = this.buf;
    let pos = this.pos;
    let value = false;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) {
        throw truncated(pos);
      }
      const byte = buf[pos++];
      if (byte & 0x7f) {
        value = true;
      }
      if (byte < 0x80) {
        this.pos = pos;
        return value;
      }
    }
    throw malformed(pos, 'a varint longer than 10 bytes');
  }

  /** An int64 as protobufjs's Long#toNumber gives it: signed, rounded to the nearest double. */
  private int64(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) {
        throw truncated(pos);
      }
      const byte = buf[pos++];
      const bits = byte & 0x7f;
      if (i < 4) {
        lo |= bits << (7 * i);
      } else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >> 4;
      } else {
        hi |= bits << (7 * (i - 5) + 3);
      }
      if (byte < 0x80) {
        this.pos = pos;
        return (hi | 0) * TWO_32 + (lo >>> 0);
      }
    }
    throw malformed(pos, 'a varint longer than 10 bytes');
  }

  /** A fixed64 as an unsigned number (rounded to the nearest double past 2^53). */
  private fixed64(end: number): number {
    const pos = this.pos;
    if (pos + 8 > end) {
      throw truncated(pos);
    }
    const buf = this.buf;
    this.pos = pos + 8;
    const lo = buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24);
    const hi = buf[pos + 4] | (buf[pos + 5] << 8) | (buf[pos + 6] << 16) | (buf[pos + 7] << 24);
    return (hi >>> 0) * TWO_32 + (lo >>> 0);
  }

  /** Steps over a field this reader does not read, as protobufjs's Reader#skipType does. */
  private skipType(type: number, depth: number, field: number, end: number): void {
    if (depth > RECURSION_LIMIT) {
      throw tooNested(this.pos);
    }
    if (field === 0) {
      throw malformed(this.pos, 'a field number 0');
    }
    switch (type) {
      case VARINT: {
        const buf = this.buf;
        let pos = this.pos;
        do {
          if (pos >= end) {
            throw truncated(pos);
          }
        } while (buf[pos++] & 0x80);
        this.pos = pos;
        return;
      }
      case I64:
      case I32: {
        const to = this.pos + (type === I64 ? 8 : 4);
        if (to > end) {
          throw truncated(this.pos);
        }
        this.pos = to;
        return;
      }
      case LEN:
        this.pos = this.lenEnd(end);
        return;
      case SGROUP:
        for (;;) {
          const tag = this.tag(end);
          if (tag >>> 3 === 0) {
            throw malformed(this.pos, 'a field number 0');
          }
          if ((tag & 7) === EGROUP) {
            if (tag >>> 3 !== field) {
              throw malformed(this.pos, 'a group end that does not match its start');
            }
            return;
          }
          this.skipType(tag & 7, depth + 1, tag >>> 3, end);
        }
      default:
        throw malformed(this.pos, `an invalid wire type ${type}`);
    }
  }
}

/** The value of a read AnyValue at `depth`, as spansFromProtobuf's pbValue gives it (or its refusal). */
function valueOf(state: ValueState, depth: number): AttrValue | OtlpRequestError | undefined {
  if (state.kind === NONE) {
    return undefined;
  }
  if (depth > MAX_DEPTH) {
    return tooDeep('');
  }
  return (state.kind === ARRAY || state.kind === KVLIST) && state.error ? state.error : state.value;
}

/** A message at nesting level q (the request is 0): protobufjs refuses past its recursion limit. */
function enter(q: number): void {
  if (q > RECURSION_LIMIT) {
    throw tooNested(-1);
  }
}

function truncated(pos: number): Error {
  return new Error(
    `index out of range: the body ends (or a message ends) in the middle of a field at byte ${pos}`,
  );
}

function malformed(pos: number, what: string): Error {
  return new Error(`invalid protobuf: ${what} at byte ${pos}`);
}

function invalidUtf8(pos: number): Error {
  return new Error(`invalid UTF-8 in the string field at byte ${pos}`);
}

function tooNested(pos: number): Error {
  return new Error(
    `max depth exceeded: messages nested more than ${RECURSION_LIMIT} deep${pos >= 0 ? ` at byte ${pos}` : ''}`,
  );
}
