import { DomainError, LIVE_LIMITS } from '@gatehouse/domain';
import { checkOtlpWireBounds, OTLP_WIRE_LIMITS, OtlpWireError } from './otlp-wire-bounds';

/**
 * Objects and arrays a JSON ingest body may hold, counted on its bytes before JSON.parse builds them (4 MiB of
 * `{},` is 1.4 million objects: about 0.7 s and 85 MiB to parse, only to be refused after).
 */
export const JSON_INGEST_LIMITS = {
  /**
   * OTLP/JSON: an attribute is two objects (KeyValue, AnyValue), so twice the protobuf bound on values,
   * which leaves a few per span for the span, its lists and status: 512 spans of 256 attributes pass.
   */
  maxOtlpContainers: 2 * OTLP_WIRE_LIMITS.maxValues,
  /**
   * `/v1/live/*`: a valid body is one object holding one array of flat objects (at most 5,000 interactions
   * or 1,000 feedback events), so no valid body comes near this.
   */
  maxLiveContainers: 2 * LIVE_LIMITS.maxSpansPerRequest,
  /**
   * `/v1/live/*`: keys in one object. Its objects are strict and flat (an interaction has 13 fields), so no
   * valid body comes near this; without it, one object of 80,000 unknown keys (1 MB) cost 0.4-0.5 s before
   * its 400, the validator listing every key it did not know.
   */
  maxLiveKeysPerObject: 64,
} as const;

/**
 * Refuses an OTLP trace export whose decoding would cost more than any real exporter's batch, before it is
 * decoded: protobuf by a walk of its wire format (checkOtlpWireBounds), OTLP/JSON by counting its objects and
 * arrays. Too many spans is 413 (as the decoded reading says); any other bound, and malformed protobuf, 400.
 * The answer names the field and the limit, never the content.
 */
export function checkOtlpBody(body: Uint8Array, encoding: 'protobuf' | 'json'): void {
  if (encoding === 'json') {
    checkJsonContainers(body, JSON_INGEST_LIMITS.maxOtlpContainers, 'send smaller batches');
    return;
  }
  try {
    checkOtlpWireBounds(body);
  } catch (error) {
    if (!(error instanceof OtlpWireError)) {
      throw error;
    }
    if (error.code === 'too_many_spans') {
      throw new DomainError('payload_too_large', `The request ${error.message}.`, [
        { field: 'resourceSpans', message: error.message, code: error.code },
      ]);
    }
    throw DomainError.validation(
      [{ field: error.field, message: error.message, code: error.code }],
      error.code === 'invalid_protobuf'
        ? `The body could not be decoded as an OTLP ExportTraceServiceRequest: ${error.field} ${error.message}.`
        : `The request is not accepted: ${error.field} ${error.message}.`,
    );
  }
}

/**
 * Refuses a `/v1/live/*` JSON body holding more objects and arrays, or an object with more keys, than any valid
 * one, before it is parsed.
 */
export function checkLiveJsonBody(body: Uint8Array): void {
  checkJsonContainers(
    body,
    JSON_INGEST_LIMITS.maxLiveContainers,
    `send at most ${LIVE_LIMITS.maxSpansPerRequest} interactions or ${LIVE_LIMITS.maxFeedbackPerRequest} feedback events per request`,
  );
  if (jsonObjectKeysOver(body, JSON_INGEST_LIMITS.maxLiveKeysPerObject)) {
    const message = `holds an object with more than ${JSON_INGEST_LIMITS.maxLiveKeysPerObject} keys; no field of this route has as many`;
    throw DomainError.validation(
      [{ field: '(body)', message, code: 'too_many_keys' }],
      `The request is not accepted: the body ${message}.`,
    );
  }
}

function checkJsonContainers(body: Uint8Array, max: number, advice: string): void {
  if (jsonContainersOver(body, max)) {
    const message = `holds more than ${max} JSON objects and arrays, the most Gatehouse reads in one request (${advice})`;
    throw DomainError.validation(
      [{ field: '(body)', message, code: 'too_many_values' }],
      `The request is not accepted: the body ${message}.`,
    );
  }
}

/**
 * Whether an object of UTF-8 JSON text holds more than `max` keys (its `:` outside strings), in one pass over
 * its bytes with a stack of the open objects' counts. Says nothing about whether the text is valid JSON.
 */
export function jsonObjectKeysOver(bytes: Uint8Array, max: number): boolean {
  // Per open container: the keys seen so far in an object, -1 for an array.
  const open: number[] = [];
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const c = bytes[i];
    if (c === 0x22) {
      i = closingQuote(bytes, i);
    } else if (c === 0x7b) {
      open.push(0);
    } else if (c === 0x5b) {
      open.push(-1);
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
    } else if (c === 0x3a && open.length > 0 && open[open.length - 1] >= 0) {
      if (++open[open.length - 1] > max) {
        return true;
      }
    }
  }
  return false;
}

/**
 * Whether UTF-8 JSON text opens more than `max` objects and arrays, counted in one pass over its bytes
 * (brackets inside strings do not count; a multi-byte character never contains `"`, `\`, `{` or `[`). Says
 * nothing about whether the text is valid JSON.
 */
export function jsonContainersOver(bytes: Uint8Array, max: number): boolean {
  let count = 0;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const c = bytes[i];
    if (c === 0x22) {
      i = closingQuote(bytes, i);
    } else if ((c === 0x7b || c === 0x5b) && ++count > max) {
      return true;
    }
  }
  return false;
}

/** Where the JSON string opened at `open` (a `"`) closes, stepping over escapes; past the end if it does not. */
function closingQuote(bytes: Uint8Array, open: number): number {
  let i = open + 1;
  for (; i < bytes.length; i++) {
    const s = bytes[i];
    if (s === 0x5c) {
      i++;
    } else if (s === 0x22) {
      break;
    }
  }
  return i;
}
