import { Root, type Type } from 'protobufjs';

/**
 * The OTLP trace messages Gatehouse reads, written from the OTLP wire format (opentelemetry-proto:
 * collector/trace/v1, trace/v1, resource/v1, common/v1). Only the fields the ingest path reads are
 * declared; protobuf skips the others (links, trace state, entity refs…), as a receiver must. Enums are
 * declared as int32 (the same varint on the wire), so an unknown enum value is a number, not an error.
 */
const OTLP_DESCRIPTOR = {
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: {
          fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } },
        },
        ExportTraceServiceResponse: {
          fields: { partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } },
        },
        ExportTracePartialSuccess: {
          fields: {
            rejectedSpans: { type: 'int64', id: 1 },
            errorMessage: { type: 'string', id: 2 },
          },
        },
        ResourceSpans: {
          fields: {
            resource: { type: 'Resource', id: 1 },
            scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
          },
        },
        Resource: {
          fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } },
        },
        ScopeSpans: {
          fields: { spans: { rule: 'repeated', type: 'Span', id: 2 } },
        },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            name: { type: 'string', id: 5 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
            events: { rule: 'repeated', type: 'Event', id: 11 },
            status: { type: 'Status', id: 15 },
          },
        },
        Event: {
          fields: {
            name: { type: 'string', id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
          },
        },
        Status: {
          fields: {
            message: { type: 'string', id: 2 },
            code: { type: 'int32', id: 3 },
          },
        },
        KeyValue: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'AnyValue', id: 2 },
          },
        },
        AnyValue: {
          oneofs: {
            value: {
              oneof: [
                'stringValue',
                'boolValue',
                'intValue',
                'doubleValue',
                'arrayValue',
                'kvlistValue',
                'bytesValue',
              ],
            },
          },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: {
          fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } },
        },
        KeyValueList: {
          fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } },
        },
      },
    },
  },
};

const root = Root.fromJSON(OTLP_DESCRIPTOR);

export const OTLP_TYPES: {
  request: Type;
  response: Type;
} = {
  request: root.lookupType('otlp.ExportTraceServiceRequest'),
  response: root.lookupType('otlp.ExportTraceServiceResponse'),
};

/** int64/fixed64 as protobufjs decodes them: a number, or a Long when the value needs more than 53 bits. */
export type WireInt = number | { low: number; high: number; unsigned?: boolean; toNumber(): number };

/** The decoded messages' shapes (only what is declared above). */
export interface PbAnyValue {
  value?:
    'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';
  stringValue?: string;
  boolValue?: boolean;
  intValue?: WireInt;
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] };
  kvlistValue?: { values?: PbKeyValue[] };
  bytesValue?: Uint8Array;
}
export interface PbKeyValue {
  key?: string;
  value?: PbAnyValue;
}
export interface PbSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  name?: string;
  startTimeUnixNano?: WireInt;
  endTimeUnixNano?: WireInt;
  attributes?: PbKeyValue[];
  events?: { name?: string; attributes?: PbKeyValue[] }[];
  status?: { code?: number; message?: string };
}
export interface PbRequest {
  resourceSpans?: {
    resource?: { attributes?: PbKeyValue[] };
    scopeSpans?: { spans?: PbSpan[] }[];
  }[];
}

/**
 * Decodes an ExportTraceServiceRequest with protobufjs: the reference the ingest path's own reader
 * (spansFromProtobufBody, otlp-wire-spans.ts) is tested against. Throws on bytes that are not one (protobufjs also refuses messages
 * nested more than 100 deep, so a crafted body cannot exhaust the stack). Its work is bounded only by the
 * bytes: run checkOtlpWireBounds (otlp-wire-bounds.ts) on a sender's body first.
 */
export function decodeTraceRequest(bytes: Uint8Array): PbRequest {
  return OTLP_TYPES.request.decode(bytes) as unknown as PbRequest;
}

/** An ExportTraceServiceResponse: empty when every span was accepted, else its partial success. */
export function encodeTraceResponse(partial: { rejectedSpans: number; errorMessage: string } | null): Buffer {
  const message = OTLP_TYPES.response.create(partial ? { partialSuccess: partial } : {});
  return Buffer.from(OTLP_TYPES.response.encode(message).finish());
}

/** Decodes a response (for tests and tools that read what the endpoint answered). */
export function decodeTraceResponse(bytes: Uint8Array): {
  partialSuccess?: { rejectedSpans: number; errorMessage: string };
} {
  const message = OTLP_TYPES.response.decode(bytes);
  return OTLP_TYPES.response.toObject(message, { longs: Number }) as {
    partialSuccess?: { rejectedSpans: number; errorMessage: string };
  };
}

/** Encodes a request from plain objects shaped like PbRequest (tests craft hostile bodies with it). */
export function encodeTraceRequest(request: object): Buffer {
  const message = OTLP_TYPES.request.fromObject(request);
  return Buffer.from(OTLP_TYPES.request.encode(message).finish());
}
