import { LIVE_LIMITS } from '@gatehouse/domain';
import { EGROUP, I32, I64, LEN, SGROUP, VARINT } from './protobuf-wire-types';

/**
 * Bounds on an OTLP protobuf request, checked on its bytes BEFORE its spans are read. The byte limit
 * (GATEHOUSE_INGEST_MAX_BYTES) alone does not bound the decoder's work: 4 MiB of two-byte empty attributes is
 * two million objects. Real exporters stay far inside these: the OTel SDK batches 512 spans and keeps at most
 * 128 attributes, events and links per span (its SpanLimits defaults).
 */
export interface OtlpWireLimits {
  readonly maxSpans: number;
  readonly maxListEntries: number;
  readonly maxValues: number;
  readonly maxFields: number;
  readonly maxValueDepth: number;
}

export const OTLP_WIRE_LIMITS: OtlpWireLimits = {
  /** Spans in one request (as LIVE_LIMITS: refused with 413, "send smaller batches"). */
  maxSpans: LIVE_LIMITS.maxSpansPerRequest,
  /**
   * Entries of one list: the attributes of a span, resource, event or key-value list, a span's events or
   * links, an array value's values. Only the first LIVE_LIMITS.maxAttributesPerSpan are read; up to this
   * many are accepted and ignored, more refuse the request (8 times the SDK's default limit of 128).
   */
  maxListEntries: 1_024,
  /**
   * Attributes (at any depth), array values, events and links in the whole request, resource and scope
   * groups included: 512 spans (the SDK's batch) of 128 each. Decoding and reading costs about 1 µs a value
   * whatever its shape (an empty event costs most), so this bounds a request's work at ~60-80 ms.
   */
  maxValues: 65_536,
  /**
   * Protobuf fields of any kind in the whole request (known or not, repeated or not): what the decoder loops
   * over. An attribute is four (key-value, key, value, its type's field), so real requests pass maxValues
   * first; this stops bodies of tiny fields the values do not count (a status or a kind again and again).
   */
  maxFields: 524_288,
  /** Nesting of attribute values (arrays and key-value lists), as LIVE_LIMITS. */
  maxValueDepth: LIVE_LIMITS.maxValueDepth,
};

/** Unknown groups (a wire form OTLP never uses, skipped as protobuf requires) may nest this deep. */
const MAX_GROUP_DEPTH = 16;

export type OtlpWireProblemCode =
  | 'too_many_spans'
  | 'too_many_entries'
  | 'too_many_values'
  | 'too_many_fields'
  | 'too_deep'
  | 'invalid_protobuf';

/** Why a protobuf body is refused before decoding; `too_many_spans` is a 413, the others 400. */
export class OtlpWireError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly code: OtlpWireProblemCode,
  ) {
    super(message);
    this.name = 'OtlpWireError';
  }
}

/** Thrown inside the walk and turned into an OtlpWireError with the path where it happened. */
class Refusal {
  constructor(
    readonly message: string,
    readonly code: OtlpWireProblemCode,
  ) {}
}

/**
 * Walks an ExportTraceServiceRequest's wire format without decoding it: ResourceSpans → Resource and
 * ScopeSpans → Span → attributes, events (and their attributes), links, status → AnyValue, counting as it
 * goes, and throws OtlpWireError at the first bound passed or malformed byte (a truncated varint, a length
 * past the end of its message, a wrong wire type for a field Gatehouse reads, field number 0, wire types 6
 * and 7, an unmatched group end). Fields Gatehouse does not read (the scope, links' contents, kind, trace
 * state, fields added by later OTLP versions) are skipped unread, as protobuf requires. Linear in the bytes,
 * recursion bounded by the value depth, and nothing allocated per field (only its path, and a stack for groups).
 */
export function checkOtlpWireBounds(bytes: Uint8Array, limits: OtlpWireLimits = OTLP_WIRE_LIMITS): void {
  new WireWalk(bytes, limits).run();
}

class WireWalk {
  private pos = 0;
  private spans = 0;
  private values = 0;
  private fields = 0;
  /** The path to where the walk is, as (name, index) pairs; index -1 for a field that is not a list. */
  private readonly names: string[] = [];
  private readonly indexes: number[] = [];
  private depth = 0;
  private readonly maxFields: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly limits: OtlpWireLimits,
  ) {
    this.maxFields = limits.maxFields;
  }

  run(): void {
    try {
      this.request(this.buf.length);
    } catch (error) {
      if (error instanceof Refusal) {
        throw new OtlpWireError(this.path(), error.message, error.code);
      }
      throw error;
    }
  }

  private path(): string {
    let out = '';
    for (let i = 0; i < this.depth; i++) {
      out += `${out ? '.' : ''}${this.names[i]}${this.indexes[i] >= 0 ? `[${this.indexes[i]}]` : ''}`;
    }
    return out || '(body)';
  }

  private enter(name: string, index: number): void {
    this.names[this.depth] = name;
    this.indexes[this.depth] = index;
    this.depth++;
  }

  // --- messages -----------------------------------------------------------------------------------------

  private request(end: number): void {
    let resources = 0;
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag >>> 3 === 1) {
        const to = this.len(tag, end);
        resources = this.entry(resources, 'resourceSpans', 'resources', this.limits.maxSpans);
        this.resourceSpans(to);
        this.depth--;
      } else {
        this.skip(tag, end);
      }
    }
  }

  private resourceSpans(end: number): void {
    let scopes = 0;
    while (this.pos < end) {
      const tag = this.tag(end);
      const field = tag >>> 3;
      if (field === 1) {
        const to = this.len(tag, end);
        this.enter('resource', -1);
        this.attributesOnly(to, 1);
        this.depth--;
      } else if (field === 2) {
        const to = this.len(tag, end);
        scopes = this.entry(scopes, 'scopeSpans', 'scopes', this.limits.maxSpans);
        this.scopeSpans(to);
        this.depth--;
      } else {
        this.skip(tag, end);
      }
    }
  }

  /** A Resource (attributes: field 1) or an Event (attributes: field 3; name: field 2). */
  private attributesOnly(end: number, attributesField: number): void {
    let attributes = 0;
    while (this.pos < end) {
      const tag = this.tag(end);
      const field = tag >>> 3;
      if (field === attributesField) {
        const to = this.len(tag, end);
        attributes = this.entry(attributes, 'attributes', 'attributes');
        this.keyValue(to, 1);
        this.depth--;
      } else if (attributesField === 3 && field === 2) {
        this.pos = this.len(tag, end); // name
      } else {
        this.skip(tag, end);
      }
    }
  }

  private scopeSpans(end: number): void {
    let spans = 0;
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag >>> 3 === 2) {
        const to = this.len(tag, end);
        if (++this.spans > this.limits.maxSpans) {
          throw new Refusal(
            `holds more than ${this.limits.maxSpans} spans; one request may carry at most ${this.limits.maxSpans} (send smaller batches: the OTel SDK's BatchSpanProcessor maxExportBatchSize)`,
            'too_many_spans',
          );
        }
        this.enter('spans', spans++);
        this.span(to);
        this.depth--;
      } else {
        this.skip(tag, end);
      }
    }
  }

  private span(end: number): void {
    let attributes = 0;
    let events = 0;
    let links = 0;
    while (this.pos < end) {
      const tag = this.tag(end);
      switch (tag >>> 3) {
        case 1: // trace_id
        case 2: // span_id
        case 5: // name
          this.pos = this.len(tag, end);
          break;
        case 7: // start_time_unix_nano
        case 8: // end_time_unix_nano
          this.fixed(tag, I64, end);
          break;
        case 9: {
          const to = this.len(tag, end);
          attributes = this.entry(attributes, 'attributes', 'attributes');
          this.keyValue(to, 1);
          this.depth--;
          break;
        }
        case 11: {
          const to = this.len(tag, end);
          events = this.entry(events, 'events', 'events');
          this.attributesOnly(to, 3);
          this.depth--;
          break;
        }
        case 13: // links: counted, their contents are not read
          this.pos = this.len(tag, end);
          links = this.entry(links, 'links', 'links');
          this.depth--;
          break;
        case 15: {
          const to = this.len(tag, end);
          this.enter('status', -1);
          this.status(to);
          this.depth--;
          break;
        }
        default:
          this.skip(tag, end);
      }
    }
  }

  private status(end: number): void {
    while (this.pos < end) {
      const tag = this.tag(end);
      const field = tag >>> 3;
      if (field === 2) {
        this.pos = this.len(tag, end); // message
      } else if (field === 3) {
        this.varint32(tag, end); // code
      } else {
        this.skip(tag, end);
      }
    }
  }

  /** A KeyValue whose value is at `depth` (1 for a span's attributes). */
  private keyValue(end: number, depth: number): void {
    while (this.pos < end) {
      const tag = this.tag(end);
      const field = tag >>> 3;
      if (field === 1) {
        this.pos = this.len(tag, end); // key
      } else if (field === 2) {
        const to = this.len(tag, end);
        this.enter('value', -1);
        this.anyValue(to, depth);
        this.depth--;
      } else {
        this.skip(tag, end);
      }
    }
  }

  private anyValue(end: number, depth: number): void {
    while (this.pos < end) {
      const tag = this.tag(end);
      const field = tag >>> 3;
      if (field >= 1 && field <= 7 && depth > this.limits.maxValueDepth) {
        throw new Refusal(
          `nests arrays and key-value lists more than ${this.limits.maxValueDepth} levels deep (the limit)`,
          'too_deep',
        );
      }
      switch (field) {
        case 1: // string_value
        case 7: // bytes_value
          this.pos = this.len(tag, end);
          break;
        case 2: // bool_value
          this.varint32(tag, end);
          break;
        case 3: // int_value
          this.varint(tag, end);
          break;
        case 4: // double_value
          this.fixed(tag, I64, end);
          break;
        case 5: {
          const to = this.len(tag, end);
          this.enter('arrayValue', -1);
          this.arrayValue(to, depth + 1);
          this.depth--;
          break;
        }
        case 6: {
          const to = this.len(tag, end);
          this.enter('kvlistValue', -1);
          this.kvlist(to, depth + 1);
          this.depth--;
          break;
        }
        default:
          this.skip(tag, end);
      }
    }
  }

  private arrayValue(end: number, depth: number): void {
    this.listValues(end, depth, false);
  }

  private kvlist(end: number, depth: number): void {
    this.listValues(end, depth, true);
  }

  /** The `values` (field 1) of an ArrayValue (AnyValues) or a KeyValueList (KeyValues), counted. */
  private listValues(end: number, depth: number, keyValues: boolean): void {
    let values = 0;
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag >>> 3 === 1) {
        const to = this.len(tag, end);
        values = this.entry(values, 'values', 'values');
        if (keyValues) {
          this.keyValue(to, depth);
        } else {
          this.anyValue(to, depth);
        }
        this.depth--;
      } else {
        this.skip(tag, end);
      }
    }
  }

  /**
   * One more entry of a list that already has `count`: counted against the list's and the request's bounds,
   * and entered in the path (the caller leaves it). Returns the new count.
   */
  private entry(count: number, name: string, what: string, max: number = this.limits.maxListEntries): number {
    this.enter(name, count);
    if (count >= max) {
      this.indexes[this.depth - 1] = -1;
      throw new Refusal(
        max === this.limits.maxListEntries
          ? `holds more than ${max} ${what}; at most ${LIVE_LIMITS.maxAttributesPerSpan} are read and ${max} accepted (lower the exporter's span limits)`
          : `holds more than ${max} ${what}; at most ${max} are accepted (send smaller batches)`,
        'too_many_entries',
      );
    }
    if (++this.values > this.limits.maxValues) {
      throw new Refusal(
        `is past ${this.limits.maxValues} attributes, array values, events and links in one request, the most Gatehouse reads (send smaller batches)`,
        'too_many_values',
      );
    }
    return count + 1;
  }

  // --- the wire -----------------------------------------------------------------------------------------

  /**
   * A field's tag, counted against the request's fields. Its field number and wire type are checked where
   * they are used: a field Gatehouse reads by its wire type, any other in skip().
   */
  private tag(end: number): number {
    if (++this.fields > this.maxFields) {
      throw new Refusal(
        `holds more than ${this.maxFields} protobuf fields, the most Gatehouse reads in one request (send smaller batches)`,
        'too_many_fields',
      );
    }
    return this.uint32(end);
  }

  /** A length-delimited field's length, checked against its message; returns where the field ends. */
  private len(tag: number, end: number): number {
    if ((tag & 7) !== LEN) {
      throw wrongType(tag);
    }
    const length = this.uint32(end);
    const to = this.pos + length;
    if (to > end) {
      throw malformed('has a length past the end of its message');
    }
    return to;
  }

  private fixed(tag: number, wireType: number, end: number): void {
    if ((tag & 7) !== wireType) {
      throw wrongType(tag);
    }
    this.pos += wireType === I64 ? 8 : 4;
    if (this.pos > end) {
      throw malformed('ends in the middle of a fixed-width number');
    }
  }

  private varint(tag: number, end: number): void {
    if ((tag & 7) !== VARINT) {
      throw wrongType(tag);
    }
    this.skipVarint(end);
  }

  /**
   * A varint the decoder reads as 32 bits (a bool, an enum): 1 to 5 bytes, or 10 (a negative int32). The
   * decoder steps over 10 bytes whenever the fifth continues, so any other length would put it elsewhere
   * in the message than this walk.
   */
  private varint32(tag: number, end: number): void {
    const start = this.pos;
    this.varint(tag, end);
    const length = this.pos - start;
    if (length > 5 && length < 10) {
      throw malformed(`has a ${length}-byte varint where a 32-bit one is read`);
    }
  }

  /** A varint of at most 32 bits (a tag or a length). */
  private uint32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < end && buf[pos] < 0x80) {
      this.pos = pos + 1;
      return buf[pos];
    }
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) {
        throw malformed('ends in the middle of a varint');
      }
      const byte = buf[pos++];
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        return value;
      }
    }
    if (pos >= end) {
      throw malformed('ends in the middle of a varint');
    }
    const last = buf[pos++];
    if (last > 0x0f) {
      throw malformed('has a tag or length that does not fit in 32 bits');
    }
    this.pos = pos;
    return (value >>> 0) + last * 0x10000000;
  }

  private skipVarint(end: number): void {
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) {
        throw malformed('ends in the middle of a varint');
      }
      if (buf[pos++] < 0x80) {
        this.pos = pos;
        return;
      }
    }
    throw malformed('has a varint longer than 10 bytes');
  }

  /** A field Gatehouse does not read, skipped as protobuf requires (groups too, iteratively). */
  private skip(tag: number, end: number): void {
    if (tag >>> 3 === 0) {
      throw malformed('has a field number 0');
    }
    switch (tag & 7) {
      case VARINT:
        this.skipVarint(end);
        return;
      case I64:
        this.fixed(tag, I64, end);
        return;
      case LEN:
        this.pos = this.len(tag, end);
        return;
      case I32:
        this.fixed(tag, I32, end);
        return;
      case SGROUP:
        this.skipGroup(tag >>> 3, end);
        return;
      case EGROUP:
        throw malformed('has a group end without its start');
      default:
        throw malformed(`has an invalid wire type ${tag & 7}`);
    }
  }

  private skipGroup(field: number, end: number): void {
    const open = [field];
    while (open.length > 0) {
      if (this.pos >= end) {
        throw malformed('ends inside a group');
      }
      const tag = this.tag(end);
      const wireType = tag & 7;
      if (tag >>> 3 === 0) {
        throw malformed('has a field number 0');
      }
      if (wireType === EGROUP) {
        if (tag >>> 3 !== open.pop()) {
          throw malformed('has a group end that does not match its start');
        }
      } else if (wireType === SGROUP) {
        if (open.length >= MAX_GROUP_DEPTH) {
          throw malformed(`nests groups more than ${MAX_GROUP_DEPTH} deep`);
        }
        open.push(tag >>> 3);
      } else {
        this.skip(tag, end);
      }
    }
  }
}

function malformed(message: string): Refusal {
  return new Refusal(`is not valid protobuf: it ${message}`, 'invalid_protobuf');
}

function wrongType(tag: number): Refusal {
  return new Refusal(
    `is not valid OTLP: field ${tag >>> 3} has wire type ${tag & 7}, not the one OTLP gives it`,
    'invalid_protobuf',
  );
}
