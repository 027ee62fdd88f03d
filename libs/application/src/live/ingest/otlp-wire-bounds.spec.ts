import { LIVE_LIMITS } from '@gatehouse/domain';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Writer } from 'protobufjs';
import { randomBytes } from 'node:crypto';
import {
  checkLiveJsonBody,
  checkOtlpBody,
  JSON_INGEST_LIMITS,
  jsonContainersOver,
  jsonObjectKeysOver,
} from './ingest-bounds';
import { decodeTraceRequest, encodeTraceRequest } from './otlp-messages';
import { spansFromProtobuf } from './otlp-spans';
import { checkOtlpWireBounds, OTLP_WIRE_LIMITS, OtlpWireError } from './otlp-wire-bounds';

// --- bytes, written field by field (protobufjs's encoder will not write what its decoder refuses) ---------

const tag = (field: number, wireType: number) =>
  Buffer.from(
    Writer.create()
      .uint32((field << 3) | wireType)
      .finish(),
  );
const len = (field: number, bytes: Uint8Array) =>
  Buffer.from(
    Writer.create()
      .uint32((field << 3) | 2)
      .bytes(bytes)
      .finish(),
  );
const varint = (field: number, value: number) =>
  Buffer.from(
    Writer.create()
      .uint32(field << 3)
      .uint64(value)
      .finish(),
  );
const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);
const repeat = (unit: Uint8Array, times: number) => Buffer.concat(Array<Uint8Array>(times).fill(unit));
const str = (s: string) => Buffer.from(s);

const kv = (key: string, value: Uint8Array = len(1, str('v'))) => cat(len(1, str(key)), len(2, value));
const spanBody = (...fields: Uint8Array[]) =>
  cat(len(1, randomBytes(16)), len(2, randomBytes(8)), len(5, str('chat')), ...fields);
/** A request of one resource and scope holding these spans' bodies. */
const request = (...spans: Uint8Array[]) => len(1, len(2, cat(...spans.map((s) => len(2, s)))));
/** An AnyValue nesting arrays so that its innermost string is at `depth` (1: a plain string). */
function nestedValue(depth: number): Buffer {
  let value = len(1, str('leaf'));
  for (let i = 1; i < depth; i++) {
    value = len(5, len(1, value));
  }
  return value;
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return null;
}

function refusal(bytes: Uint8Array, limits = OTLP_WIRE_LIMITS): OtlpWireError {
  try {
    checkOtlpWireBounds(bytes, limits);
  } catch (error) {
    if (error instanceof OtlpWireError) {
      return error;
    }
    throw error;
  }
  throw new Error('the body was not refused');
}

/** A batch as the OpenTelemetry SDK exports it (resource, scope, kinds, events, links, status, array values). */
function sdkBody(spans: number): Buffer {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'benefits-assistant', 'service.version': '1.4.2' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('benefits', '2.0.1', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
  });
  let previous: { traceId: string; spanId: string; traceFlags: number } | null = null;
  for (let i = 0; i < spans; i++) {
    const span = tracer.startSpan('chat gpt-4o-mini', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 120 + i,
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.stop_sequences': ['\n\n', 'END'],
        'gen_ai.response.finish_reasons': ['stop'],
        'app.flags': [true, false],
        'app.scores': [0.5, -1],
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]),
      },
      links: previous ? [{ context: previous, attributes: { 'link.kind': 'follows' } }] : [],
    });
    span.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': `How do I apply? ${i}` });
    span.addEvent('gen_ai.content.completion', { 'gen_ai.completion': 'Online.', index: 0 });
    if (i % 7 === 0) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'model timed out' });
    }
    previous = span.spanContext();
    span.end();
  }
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array);
}

describe('OTLP wire bounds (the pre-pass before protobuf decoding)', () => {
  describe('lets real exports through', () => {
    it.each([1, 200, 512])('passes a batch of %i spans from the OpenTelemetry SDK serializer', (n) => {
      const body = sdkBody(n);
      expect(() => checkOtlpWireBounds(body)).not.toThrow();
      expect(() => checkOtlpBody(body, 'protobuf')).not.toThrow();
      expect(spansFromProtobuf(decodeTraceRequest(body))).toHaveLength(n);
    });

    it('passes an empty request, key-value lists and values nested to the depth allowed', () => {
      expect(() => checkOtlpWireBounds(Buffer.alloc(0))).not.toThrow();
      const body = encodeTraceRequest({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: randomBytes(16),
                    attributes: [
                      {
                        key: 'kv',
                        value: {
                          kvlistValue: {
                            values: [{ key: 'role', value: { stringValue: 'user' } }],
                          },
                        },
                      },
                      { key: 'n', value: { intValue: '-5' } },
                      { key: 'b', value: { bytesValue: Buffer.from('x') } },
                    ],
                    status: { code: -1 }, // a negative enum: a 10-byte varint
                  },
                ],
              },
            ],
          },
        ],
      });
      expect(() => checkOtlpWireBounds(body)).not.toThrow();
      const deepest = request(spanBody(len(9, kv('deep', nestedValue(LIVE_LIMITS.maxValueDepth)))));
      expect(() => checkOtlpWireBounds(deepest)).not.toThrow();
    });

    it('skips fields it does not read, of every wire type and at every level, as protobuf requires', () => {
      const unknown = cat(
        varint(90, 7),
        tag(91, 1),
        Buffer.alloc(8),
        len(92, str('later OTLP field')),
        tag(93, 5),
        Buffer.alloc(4),
        tag(94, 3), // a group, with a group inside
        varint(1, 1),
        tag(2, 3),
        len(3, str('x')),
        tag(2, 4),
        tag(94, 4),
      );
      const value = cat(len(1, str('kept')), unknown);
      const span = spanBody(
        len(9, cat(len(1, str('gen_ai.request.model')), len(2, value), unknown)),
        unknown,
      );
      const body = len(1, cat(len(1, unknown), len(2, cat(len(2, span), unknown)), unknown));
      const withUnknown = cat(body, unknown);
      expect(() => checkOtlpWireBounds(withUnknown)).not.toThrow();
      const [read] = spansFromProtobuf(decodeTraceRequest(withUnknown));
      expect(read.attributes.get('gen_ai.request.model')).toBe('kept');
    });

    it('accepts up to the list bound and ignores past the read bound, as the reader does', () => {
      const attributes = Array.from({ length: OTLP_WIRE_LIMITS.maxListEntries }, (_, i) =>
        len(9, kv(`a${i}`)),
      );
      const body = request(spanBody(...attributes));
      expect(() => checkOtlpWireBounds(body)).not.toThrow();
      const [span] = spansFromProtobuf(decodeTraceRequest(body));
      expect(span.attributes.size).toBe(LIVE_LIMITS.maxAttributesPerSpan);
    });
  });

  describe('refuses before decoding', () => {
    it(`more than ${LIVE_LIMITS.maxSpansPerRequest} spans`, () => {
      const spans = Array.from({ length: LIVE_LIMITS.maxSpansPerRequest + 1 }, () => Buffer.alloc(0));
      const error = refusal(request(...spans));
      expect(error.code).toBe('too_many_spans');
      expect(error.message).toContain(`at most ${LIVE_LIMITS.maxSpansPerRequest}`);
      expect(error.message).toContain('send smaller batches');
      expect(() =>
        checkOtlpWireBounds(request(...spans.slice(0, LIVE_LIMITS.maxSpansPerRequest))),
      ).not.toThrow();
    });

    it.each([
      [
        'attributes of a span',
        (n: number) => request(spanBody(repeat(len(9, kv('a')), n))),
        'spans[0].attributes',
      ],
      [
        'events of a span',
        (n: number) => request(spanBody(repeat(len(11, Buffer.alloc(0)), n))),
        'spans[0].events',
      ],
      [
        'links of a span',
        (n: number) => request(spanBody(repeat(len(13, Buffer.alloc(0)), n))),
        'spans[0].links',
      ],
      [
        'attributes of an event',
        (n: number) => request(spanBody(len(11, repeat(len(3, kv('a')), n)))),
        'spans[0].events[0].attributes',
      ],
      [
        'values of an array',
        (n: number) => request(spanBody(len(9, kv('a', len(5, repeat(len(1, Buffer.alloc(0)), n)))))),
        'spans[0].attributes[0].value.arrayValue.values',
      ],
      [
        'entries of a key-value list',
        (n: number) => request(spanBody(len(9, kv('a', len(6, repeat(len(1, kv('k')), n)))))),
        'spans[0].attributes[0].value.kvlistValue.values',
      ],
    ])('more %s than the list bound, naming the list', (_, make, field) => {
      const max = OTLP_WIRE_LIMITS.maxListEntries;
      expect(() => checkOtlpWireBounds(make(max))).not.toThrow();
      const error = refusal(make(max + 1));
      expect(error).toMatchObject({
        code: 'too_many_entries',
        field: `resourceSpans[0].scopeSpans[0].${field}`,
      });
      expect(error.message).toContain(`more than ${max}`);
    });

    it('more attributes of a resource, and more resources or scopes, than their bounds', () => {
      const max = OTLP_WIRE_LIMITS.maxListEntries;
      const resource = len(1, len(1, repeat(len(1, kv('a')), max + 1)));
      expect(refusal(resource)).toMatchObject({
        code: 'too_many_entries',
        field: 'resourceSpans[0].resource.attributes',
      });
      expect(refusal(repeat(len(1, Buffer.alloc(0)), OTLP_WIRE_LIMITS.maxSpans + 1))).toMatchObject({
        code: 'too_many_entries',
        field: 'resourceSpans',
      });
      expect(refusal(len(1, repeat(len(2, Buffer.alloc(0)), OTLP_WIRE_LIMITS.maxSpans + 1)))).toMatchObject({
        code: 'too_many_entries',
        field: 'resourceSpans[0].scopeSpans',
      });
    });

    it('more values in the whole request than its bound, however they are spread', () => {
      const limits = { ...OTLP_WIRE_LIMITS, maxValues: 50 };
      // 2 (resource and scope) + 4 spans of 12 = 50: passes; one more attribute anywhere does not.
      const spans = Array.from({ length: 4 }, () => spanBody(repeat(len(9, kv('a')), 12)));
      expect(() => checkOtlpWireBounds(request(...spans), limits)).not.toThrow();
      const error = refusal(request(...spans, spanBody(len(11, len(3, kv('late'))))), limits);
      expect(error).toMatchObject({
        code: 'too_many_values',
        field: 'resourceSpans[0].scopeSpans[0].spans[4].events[0]',
      });
      expect(error.message).toContain('send smaller batches');
    });

    it('more fields in the whole request than its bound, counting repeated and unknown ones', () => {
      const status = (n: number) => request(spanBody(repeat(len(15, Buffer.alloc(0)), n)));
      const limits = { ...OTLP_WIRE_LIMITS, maxFields: 100 };
      // request + scope + span + id, id, name = 6 fields before the repeats.
      expect(() => checkOtlpWireBounds(status(94), limits)).not.toThrow();
      expect(refusal(status(95), limits).code).toBe('too_many_fields');
      expect(refusal(request(spanBody(repeat(varint(4, 1), 95))), limits).code).toBe('too_many_fields');
    });

    it(`attribute values nested deeper than ${LIVE_LIMITS.maxValueDepth} levels, naming the value (also in key-value lists and events)`, () => {
      const deep = nestedValue(LIVE_LIMITS.maxValueDepth + 1);
      const error = refusal(request(spanBody(len(9, kv('ok')), len(9, kv('deep', deep)))));
      expect(error.code).toBe('too_deep');
      expect(error.field).toBe(
        `resourceSpans[0].scopeSpans[0].spans[0].attributes[1].value${'.arrayValue.values[0]'.repeat(LIVE_LIMITS.maxValueDepth)}`,
      );
      let kvlist = len(1, str('leaf'));
      for (let i = 1; i <= LIVE_LIMITS.maxValueDepth; i++) {
        kvlist = len(6, len(1, kv('k', kvlist)));
      }
      expect(refusal(request(spanBody(len(11, len(3, kv('e', kvlist)))))).code).toBe('too_deep');
      // Far deeper than the decoder recurses: refused at the bound, without recursing further.
      expect(refusal(request(spanBody(len(9, kv('deep', nestedValue(5000)))))).code).toBe('too_deep');
    });

    it.each([
      ['a truncated varint', cat(request(spanBody()), Buffer.from([0x08, 0x80]))],
      ['a truncated tag', Buffer.from([0x8a])],
      ['a length past the end', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])],
      ['a length past the end of its message', len(1, cat(Buffer.from([0x12, 0x05]), Buffer.alloc(2)))],
      ['a truncated fixed64', request(cat(tag(7, 1), Buffer.alloc(3)))],
      ['a varint longer than 10 bytes', cat(tag(4, 0), Buffer.alloc(10, 0xff), Buffer.from([0x01]))],
      ['a tag past 32 bits', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f])],
      ['field number 0', Buffer.from([0x02, 0x00])],
      ['wire type 6', Buffer.from([0x0e])],
      ['wire type 7', request(spanBody(Buffer.from([0x7f])))],
      ['a group end without its start', Buffer.from([0x0c])],
      ['a group end that does not match', cat(tag(9, 3), tag(8, 4))],
      ['a group left open', cat(tag(9, 3), varint(1, 1))],
      ['groups nested past the bound', repeat(tag(9, 3), 40)],
      ['resourceSpans as a varint', varint(1, 1)],
      ['a span as a fixed32', len(1, len(2, cat(tag(2, 5), Buffer.alloc(4))))],
      ['a start time as a varint', request(spanBody(varint(7, 1)))],
      [
        'a bool as a 7-byte varint',
        request(
          spanBody(len(9, kv('b', cat(tag(2, 0), Buffer.from([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]))))),
        ),
      ],
    ])('malformed wire data: %s', (_, bytes) => {
      const error = refusal(bytes);
      expect(error.code).toBe('invalid_protobuf');
      expect(error.message).toMatch(/^is not valid (protobuf|OTLP)/);
    });

    it('never refuses what it then lets protobufjs throw on: mutated SDK bodies either pass and decode, or are refused', () => {
      const body = sdkBody(3);
      let state = 7;
      const random = () => {
        state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
        return state / 2_147_483_648;
      };
      let refused = 0;
      let passed = 0;
      const otherErrors: unknown[] = [];
      const decodeErrors: string[] = [];
      for (let i = 0; i < 2_000; i++) {
        const mutated = Buffer.from(body);
        for (let m = 0; m < 1 + Math.floor(random() * 3); m++) {
          mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
        }
        const cut = random() < 0.2 ? mutated.subarray(0, Math.floor(random() * mutated.length)) : mutated;
        const error = thrownBy(() => checkOtlpWireBounds(cut));
        if (error) {
          refused++;
          if (!(error instanceof OtlpWireError)) {
            otherErrors.push(error);
          }
        } else {
          passed++;
          const decodeError = thrownBy(() => decodeTraceRequest(cut));
          if (decodeError) {
            decodeErrors.push((decodeError as Error).message);
          }
        }
      }
      expect(otherErrors).toEqual([]);
      // What passes decodes, but for text that is not UTF-8, which protobufjs checks (at no extra cost).
      expect(decodeErrors.filter((m) => !/not valid for encoding utf-8/.test(m))).toEqual([]);
      expect(refused).toBeGreaterThan(100);
      expect(passed).toBeGreaterThan(100);
    });

    it('answers with a problem naming the field and the limit, never the content (413 for spans, 400 otherwise)', () => {
      const secret = 'NHS 943 476 5919';
      const attributes = repeat(len(9, kv(secret)), OTLP_WIRE_LIMITS.maxListEntries + 1);
      expect(() => checkOtlpBody(request(spanBody(attributes)), 'protobuf')).toThrow(
        expect.objectContaining({
          code: 'validation_failed',
          problems: [
            {
              field: 'resourceSpans[0].scopeSpans[0].spans[0].attributes',
              message: `holds more than ${OTLP_WIRE_LIMITS.maxListEntries} attributes; at most ${LIVE_LIMITS.maxAttributesPerSpan} are read and ${OTLP_WIRE_LIMITS.maxListEntries} accepted (lower the exporter's span limits)`,
              code: 'too_many_entries',
            },
          ],
        }),
      );
      const spans = Array.from({ length: LIVE_LIMITS.maxSpansPerRequest + 1 }, () => Buffer.alloc(0));
      expect(() => checkOtlpBody(request(...spans), 'protobuf')).toThrow(
        expect.objectContaining({
          code: 'payload_too_large',
          problems: [expect.objectContaining({ field: 'resourceSpans' })],
        }),
      );
      const garbage = thrownBy(() => checkOtlpBody(Buffer.from(secret), 'protobuf')); // 'N': wire type 6
      expect(garbage).toMatchObject({
        code: 'validation_failed',
        problems: [{ code: 'invalid_protobuf', field: '(body)' }],
      });
      expect(JSON.stringify(garbage)).not.toContain('943');
    });
  });
});

describe('JSON ingest bounds (a count of objects and arrays before parsing)', () => {
  it('counts brackets outside strings only, stepping over escapes', () => {
    expect(jsonContainersOver(Buffer.from('{"a":[{},[]]}'), 3)).toBe(true);
    expect(jsonContainersOver(Buffer.from('{"a":[{},[]]}'), 4)).toBe(false);
    expect(jsonContainersOver(Buffer.from('{"{[{[": "\\"[[[{{{", "b": "é{"}'), 1)).toBe(false);
    expect(jsonContainersOver(Buffer.from('"unterminated [[[['), 0)).toBe(false);
  });

  it('counts the keys of each object apart (not of arrays, not inside strings, not of nested objects)', () => {
    expect(jsonObjectKeysOver(Buffer.from('{"a":1,"b":{"c":2,"d":3},"e":[{"f":4}]}'), 3)).toBe(false);
    expect(jsonObjectKeysOver(Buffer.from('{"a":1,"b":{"c":2,"d":3},"e":[{"f":4}],"g":5}'), 3)).toBe(true);
    expect(jsonObjectKeysOver(Buffer.from('{"a":"x:y:z","b\\"c":":::"}'), 2)).toBe(false);
    expect(jsonObjectKeysOver(Buffer.from('[":",":",":"]'), 0)).toBe(false);
  });

  it('refuses a /v1/live body with an object of more keys than any field has (400 naming the body), and takes a full interaction', () => {
    const keys = (n: number) =>
      Buffer.from(`{"interactions":[{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}]}`);
    const max = JSON_INGEST_LIMITS.maxLiveKeysPerObject;
    expect(() => checkLiveJsonBody(keys(max))).not.toThrow();
    let refused: unknown;
    try {
      checkLiveJsonBody(keys(80_000));
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({
      code: 'validation_failed',
      problems: [{ code: 'too_many_keys', field: '(body)' }],
    });
  });

  it('refuses OTLP/JSON holding more objects and arrays than the bound, with 400 naming the body', () => {
    const max = JSON_INGEST_LIMITS.maxOtlpContainers;
    const body = (n: number) =>
      Buffer.from(
        `{"resourceSpans":[${Array<string>(n - 2)
          .fill('{}')
          .join(',')}]}`,
      );
    expect(() => checkOtlpBody(body(max), 'json')).not.toThrow();
    expect(() => checkOtlpBody(body(max + 1), 'json')).toThrow(
      expect.objectContaining({
        code: 'validation_failed',
        problems: [expect.objectContaining({ field: '(body)', code: 'too_many_values' })],
      }),
    );
  });
});
