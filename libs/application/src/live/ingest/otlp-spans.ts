import { LIVE_LIMITS } from '@gatehouse/domain';
import { type PbAnyValue, type PbKeyValue, type PbRequest, type PbSpan, type WireInt } from './otlp-messages';

/**
 * OTLP spans as the ingest path reads them, whichever encoding brought them (protobuf or OTLP/JSON): ids as
 * lowercase hex (null when not a valid id), times in nanoseconds since the epoch, attributes as maps (a
 * key-value list is a Map too, so no key of the sender's ever reaches an object's prototype).
 */
export type AttrValue = string | number | boolean | Uint8Array | AttrValue[] | AttrMap;
export type AttrMap = Map<string, AttrValue>;

export interface OtlpSpan {
  traceId: string | null;
  spanId: string | null;
  startNs: number | null;
  endNs: number | null;
  attributes: AttrMap;
  events: { name: string; attributes: AttrMap }[];
  /** Status code 2 (ERROR). */
  errored: boolean;
  /** The attributes of the span's resource (shared by the resource's spans). */
  resource: AttrMap;
}

/** Why a request cannot be read at all; `tooLarge` ones are 413, the others 400. */
export class OtlpRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly code: 'too_deep' | 'too_many_spans' | 'invalid_otlp',
  ) {
    super(message);
    this.name = 'OtlpRequestError';
  }
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO = /^0+$/;

/** A hex id when `hex` is one of `pattern`'s and not all zero; else null (the span is then rejected). */
function validId(hex: string, pattern: RegExp): string | null {
  const lower = hex.toLowerCase();
  return pattern.test(lower) && !ZERO.test(lower) ? lower : null;
}

function idFromBytes(bytes: Uint8Array | undefined, pattern: RegExp): string | null {
  return bytes && bytes.length > 0 ? validId(Buffer.from(bytes).toString('hex'), pattern) : null;
}

function wireNumber(value: WireInt | string | undefined | null): number | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : null;
  }
  if (typeof value === 'string') {
    // OTLP/JSON sends 64-bit integers as decimal strings (or as numbers).
    if (!/^-?\d{1,20}$/.test(value.trim())) {
      return null;
    }
    return Number(value.trim());
  }
  if (typeof value === 'object' && typeof value.toNumber === 'function') {
    return value.toNumber();
  }
  return null;
}

/** Every span of the request, counted before any is read: more than the limit refuses the request. */
export function checkSpanCount(total: number): void {
  if (total > LIVE_LIMITS.maxSpansPerRequest) {
    throw new OtlpRequestError(
      'resourceSpans',
      `holds ${total} spans; one request may carry at most ${LIVE_LIMITS.maxSpansPerRequest} (send smaller batches: the OTel SDK's BatchSpanProcessor maxExportBatchSize)`,
      'too_many_spans',
    );
  }
}

// -------------------------------------------------------------------------------------------------------
// protobuf
// -------------------------------------------------------------------------------------------------------

/**
 * A refusal raised below `segment`, re-raised with the segment in front of its field: paths are built only
 * when something is refused, never for the attributes of a request that is read.
 */
export function under(segment: string, error: unknown): unknown {
  return error instanceof OtlpRequestError
    ? new OtlpRequestError(`${segment}${error.field}`, error.message, error.code)
    : error;
}

/** A value at `depth` (1 for an attribute's); a refusal names the field from the value down (`.arrayValue…`). */
function pbValue(value: PbAnyValue | undefined, depth: number): AttrValue | undefined {
  if (!value?.value) {
    return undefined;
  }
  if (depth > LIVE_LIMITS.maxValueDepth) {
    throw tooDeep('');
  }
  switch (value.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue === true;
    case 'intValue':
      return wireNumber(value.intValue) ?? 0;
    case 'doubleValue':
      return value.doubleValue ?? 0;
    case 'bytesValue':
      return value.bytesValue ?? new Uint8Array();
    case 'arrayValue': {
      const values = value.arrayValue?.values ?? [];
      const n = Math.min(values.length, LIVE_LIMITS.maxAttributesPerSpan);
      const out: AttrValue[] = [];
      for (let i = 0; i < n; i++) {
        let item: AttrValue | undefined;
        try {
          item = pbValue(values[i], depth + 1);
        } catch (error) {
          throw under(`.arrayValue.values[${i}]`, error);
        }
        if (item !== undefined) {
          out.push(item);
        }
      }
      return out;
    }
    case 'kvlistValue':
      try {
        return pbAttributes(value.kvlistValue?.values, depth + 1);
      } catch (error) {
        throw under('.kvlistValue.values', error);
      }
  }
}

/** The first LIVE_LIMITS.maxAttributesPerSpan attributes; a refusal names the field from the list down (`[3].value…`). */
function pbAttributes(list: PbKeyValue[] | undefined, depth: number): AttrMap {
  const map: AttrMap = new Map();
  if (!list) {
    return map;
  }
  const n = Math.min(list.length, LIVE_LIMITS.maxAttributesPerSpan);
  for (let i = 0; i < n; i++) {
    const kv = list[i];
    let value: AttrValue | undefined;
    try {
      value = pbValue(kv.value, depth);
    } catch (error) {
      throw under(`[${i}].value`, error);
    }
    if (kv.key && value !== undefined && !map.has(kv.key)) {
      map.set(kv.key, value);
    }
  }
  return map;
}

function pbSpan(span: PbSpan, resource: AttrMap): OtlpSpan {
  let attributes: AttrMap;
  try {
    attributes = pbAttributes(span.attributes, 1);
  } catch (error) {
    throw under('.attributes', error);
  }
  const events: OtlpSpan['events'] = [];
  const list = span.events ?? [];
  const n = Math.min(list.length, LIVE_LIMITS.maxAttributesPerSpan);
  for (let e = 0; e < n; e++) {
    try {
      events.push({ name: list[e].name ?? '', attributes: pbAttributes(list[e].attributes, 1) });
    } catch (error) {
      throw under(`.events[${e}].attributes`, error);
    }
  }
  return {
    traceId: idFromBytes(span.traceId, TRACE_ID),
    spanId: idFromBytes(span.spanId, SPAN_ID),
    startNs: wireNumber(span.startTimeUnixNano),
    endNs: wireNumber(span.endTimeUnixNano),
    attributes,
    events,
    errored: span.status?.code === 2,
    resource,
  };
}

/**
 * The spans of a decoded protobuf ExportTraceServiceRequest (whose bytes checkOtlpWireBounds let through:
 * the bounds here are the reader's own, for requests decoded without it).
 */
export function spansFromProtobuf(request: PbRequest): OtlpSpan[] {
  const resources = request.resourceSpans ?? [];
  let total = 0;
  for (const rs of resources) {
    for (const ss of rs.scopeSpans ?? []) {
      total += ss.spans?.length ?? 0;
    }
  }
  checkSpanCount(total);
  const spans: OtlpSpan[] = [];
  for (let r = 0; r < resources.length; r++) {
    const rs = resources[r];
    let resource: AttrMap;
    try {
      resource = pbAttributes(rs.resource?.attributes, 1);
    } catch (error) {
      throw under(`resourceSpans[${r}].resource.attributes`, error);
    }
    const scopes = rs.scopeSpans ?? [];
    for (let s = 0; s < scopes.length; s++) {
      const list = scopes[s].spans ?? [];
      for (let k = 0; k < list.length; k++) {
        try {
          spans.push(pbSpan(list[k], resource));
        } catch (error) {
          throw under(`resourceSpans[${r}].scopeSpans[${s}].spans[${k}]`, error);
        }
      }
    }
  }
  return spans;
}

// -------------------------------------------------------------------------------------------------------
// OTLP/JSON (proto3 JSON mapping with the OTLP exceptions: hex ids, enums as integers)
// -------------------------------------------------------------------------------------------------------

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property (never one reached through the prototype: `__proto__`, `constructor`…). */
function own(value: Record<string, Json>, key: string): Json {
  return Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
}

function jsonArray(value: Json, at: string): Json[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw new OtlpRequestError(at, 'must be an array', 'invalid_otlp');
  }
  return value;
}

function jsonObject(value: Json, at: string): Record<string, Json> | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!isObject(value)) {
    throw new OtlpRequestError(at, 'must be an object', 'invalid_otlp');
  }
  return value;
}

function jsonValue(value: Json, depth: number, at: string): AttrValue | undefined {
  const v = jsonObject(value, at);
  if (!v) {
    return undefined;
  }
  if (depth > LIVE_LIMITS.maxValueDepth) {
    throw tooDeep(at);
  }
  const string = own(v, 'stringValue');
  if (string !== undefined) {
    return typeof string === 'string' ? string : String(string);
  }
  const bool = own(v, 'boolValue');
  if (bool !== undefined) {
    return bool === true;
  }
  const int = own(v, 'intValue');
  if (int !== undefined) {
    return wireNumber(typeof int === 'number' || typeof int === 'string' ? int : null) ?? 0;
  }
  const double = own(v, 'doubleValue');
  if (double !== undefined) {
    const n = typeof double === 'number' ? double : Number(double);
    return Number.isFinite(n) ? n : 0;
  }
  const bytes = own(v, 'bytesValue');
  if (bytes !== undefined) {
    return typeof bytes === 'string' ? Buffer.from(bytes, 'base64') : new Uint8Array();
  }
  const array = jsonObject(own(v, 'arrayValue'), `${at}.arrayValue`);
  if (array) {
    return jsonArray(own(array, 'values'), `${at}.arrayValue.values`)
      .slice(0, LIVE_LIMITS.maxAttributesPerSpan)
      .map((item, i) => jsonValue(item, depth + 1, `${at}.arrayValue.values[${i}]`))
      .filter((item): item is AttrValue => item !== undefined);
  }
  const kvlist = jsonObject(own(v, 'kvlistValue'), `${at}.kvlistValue`);
  if (kvlist) {
    return jsonAttributes(own(kvlist, 'values'), depth + 1, `${at}.kvlistValue.values`);
  }
  return undefined;
}

function jsonAttributes(list: Json, depth: number, at: string): AttrMap {
  const map: AttrMap = new Map();
  jsonArray(list, at)
    .slice(0, LIVE_LIMITS.maxAttributesPerSpan)
    .forEach((item, i) => {
      const kv = jsonObject(item, `${at}[${i}]`);
      const key = kv ? own(kv, 'key') : undefined;
      const value = kv ? jsonValue(own(kv, 'value'), depth, `${at}[${i}].value`) : undefined;
      if (typeof key === 'string' && key && value !== undefined && !map.has(key)) {
        map.set(key, value);
      }
    });
  return map;
}

function jsonId(value: Json, pattern: RegExp): string | null {
  return typeof value === 'string' ? validId(value, pattern) : null;
}

/** The spans of an OTLP/JSON ExportTraceServiceRequest (already parsed). Unknown fields are ignored. */
export function spansFromJson(body: Json): OtlpSpan[] {
  const request = jsonObject(body, '(body)');
  if (!request) {
    throw new OtlpRequestError('(body)', 'must be an ExportTraceServiceRequest object', 'invalid_otlp');
  }
  const resources = jsonArray(own(request, 'resourceSpans'), 'resourceSpans').map((rs, r) => {
    const resourceSpans = jsonObject(rs, `resourceSpans[${r}]`) ?? {};
    return {
      resourceSpans,
      scopes: jsonArray(own(resourceSpans, 'scopeSpans'), `resourceSpans[${r}].scopeSpans`).map((ss, s) => {
        const scope = jsonObject(ss, `resourceSpans[${r}].scopeSpans[${s}]`) ?? {};
        return jsonArray(own(scope, 'spans'), `resourceSpans[${r}].scopeSpans[${s}].spans`);
      }),
    };
  });
  checkSpanCount(resources.reduce((n, r) => n + r.scopes.reduce((m, s) => m + s.length, 0), 0));
  const spans: OtlpSpan[] = [];
  resources.forEach(({ resourceSpans, scopes }, r) => {
    const resourceObject = jsonObject(own(resourceSpans, 'resource'), `resourceSpans[${r}].resource`);
    const resource = resourceObject
      ? jsonAttributes(own(resourceObject, 'attributes'), 1, `resourceSpans[${r}].resource.attributes`)
      : new Map<string, AttrValue>();
    scopes.forEach((list, s) => {
      list.forEach((item, k) => {
        const at = `resourceSpans[${r}].scopeSpans[${s}].spans[${k}]`;
        const span = jsonObject(item, at) ?? {};
        const status = jsonObject(own(span, 'status'), `${at}.status`);
        const code = status ? own(status, 'code') : undefined;
        spans.push({
          traceId: jsonId(own(span, 'traceId'), TRACE_ID),
          spanId: jsonId(own(span, 'spanId'), SPAN_ID),
          startNs: jsonTime(own(span, 'startTimeUnixNano')),
          endNs: jsonTime(own(span, 'endTimeUnixNano')),
          attributes: jsonAttributes(own(span, 'attributes'), 1, `${at}.attributes`),
          events: jsonArray(own(span, 'events'), `${at}.events`)
            .slice(0, LIVE_LIMITS.maxAttributesPerSpan)
            .map((e, i) => {
              const event = jsonObject(e, `${at}.events[${i}]`) ?? {};
              const name = own(event, 'name');
              return {
                name: typeof name === 'string' ? name : '',
                attributes: jsonAttributes(own(event, 'attributes'), 1, `${at}.events[${i}].attributes`),
              };
            }),
          // Enums are integers in OTLP/JSON; the proto3 name is accepted too.
          errored: code === 2 || code === 'STATUS_CODE_ERROR',
          resource,
        });
      });
    });
  });
  return spans;
}

function jsonTime(value: Json): number | null {
  return typeof value === 'number' || typeof value === 'string' ? wireNumber(value) : null;
}

export function tooDeep(at: string): OtlpRequestError {
  return new OtlpRequestError(
    at,
    `nests arrays and key-value lists more than ${LIVE_LIMITS.maxValueDepth} levels deep (the limit)`,
    'too_deep',
  );
}
