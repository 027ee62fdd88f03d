import { LIVE_LIMITS } from '@gatehouse/domain';
import {
  decodeTraceRequest,
  encodeTraceRequest,
  encodeTraceResponse,
  decodeTraceResponse,
} from './otlp-messages';
import { OtlpRequestError, spansFromJson, spansFromProtobuf } from './otlp-spans';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

const anyValues = {
  s: { stringValue: 'text' },
  b: { boolValue: true },
  i: { intValue: '42' },
  d: { doubleValue: 1.5 },
  a: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: 7 }] } },
  k: { kvlistValue: { values: [{ key: 'role', value: { stringValue: 'user' } }] } },
};

function jsonRequest(span: Record<string, unknown>) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [{ scope: { name: 'x' }, spans: [span] }],
      },
    ],
  };
}

describe('OTLP spans', () => {
  it('reads the same span from OTLP/JSON and from protobuf', () => {
    const attributes = Object.entries(anyValues).map(([key, value]) => ({ key, value }));
    const json = {
      traceId: TRACE.toUpperCase(),
      spanId: SPAN,
      startTimeUnixNano: '1764936000000000000',
      endTimeUnixNano: 1764936001000000000,
      attributes,
      events: [{ name: 'gen_ai.choice', attributes: [{ key: 'index', value: { intValue: 0 } }] }],
      status: { code: 2 },
    };
    const fromJson = spansFromJson(jsonRequest(json));
    const bytes = encodeTraceRequest(
      jsonRequest({ ...json, traceId: Buffer.from(TRACE, 'hex'), spanId: Buffer.from(SPAN, 'hex') }),
    );
    const fromProtobuf = spansFromProtobuf(decodeTraceRequest(bytes));
    for (const spans of [fromJson, fromProtobuf]) {
      expect(spans).toHaveLength(1);
      const [span] = spans;
      expect(span).toMatchObject({
        traceId: TRACE,
        spanId: SPAN,
        startNs: 1764936000000000000,
        errored: true,
      });
      expect(span.attributes.get('s')).toBe('text');
      expect(span.attributes.get('b')).toBe(true);
      expect(span.attributes.get('i')).toBe(42);
      expect(span.attributes.get('d')).toBe(1.5);
      expect(span.attributes.get('a')).toEqual(['x', 7]);
      expect(span.attributes.get('k')).toEqual(new Map([['role', 'user']]));
      expect(span.events).toEqual([{ name: 'gen_ai.choice', attributes: new Map([['index', 0]]) }]);
      expect(span.resource.get('service.name')).toBe('svc');
    }
  });

  it.each<[string, unknown, unknown]>([
    ['all-zero ids', '0'.repeat(32), '0'.repeat(16)],
    ['ids of the wrong length', 'abcd', 'abcdabcdabcdabcdab'],
    ['ids that are not hex', 'z'.repeat(32), 'z'.repeat(16)],
    ['ids that are not strings', 12, null],
  ])('reads %s as no id', (_name, traceId, spanId) => {
    const [span] = spansFromJson(jsonRequest({ traceId, spanId, startTimeUnixNano: '1' }));
    expect({ traceId: span.traceId, spanId: span.spanId }).toEqual({ traceId: null, spanId: null });
  });

  it('keeps a prototype key of a key-value list as data', () => {
    const [span] = spansFromJson(
      JSON.parse(
        JSON.stringify(
          jsonRequest({
            attributes: [
              {
                key: '__proto__',
                value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } },
              },
            ],
          }),
        ),
      ),
    );
    expect(span.attributes.get('__proto__')).toEqual(new Map([['polluted', true]]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`refuses values nested past ${LIVE_LIMITS.maxValueDepth} levels, naming where`, () => {
    let value: object = { stringValue: 'leaf' };
    for (let i = 1; i <= LIVE_LIMITS.maxValueDepth; i++) {
      value = { arrayValue: { values: [value] } };
    }
    const request = jsonRequest({ attributes: [{ key: 'deep', value }] });
    expect(() => spansFromJson(request)).toThrow(OtlpRequestError);
    expect(() => spansFromJson(request)).toThrow(
      expect.objectContaining({
        code: 'too_deep',
        field: `resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value${'.arrayValue.values[0]'.repeat(LIVE_LIMITS.maxValueDepth)}`,
      }),
    );
  });

  it(`refuses decoded protobuf values nested past ${LIVE_LIMITS.maxValueDepth} levels, naming where (span, event, resource, key-value list)`, () => {
    let array: object = { stringValue: 'leaf' };
    let kvlist: object = { stringValue: 'leaf' };
    for (let i = 1; i <= LIVE_LIMITS.maxValueDepth; i++) {
      array = { arrayValue: { values: [array] } };
      kvlist = { kvlistValue: { values: [{ key: 'k', value: kvlist }] } };
    }
    const ok = { key: 'ok', value: { stringValue: 'x' } };
    const read = (request: object) => () =>
      spansFromProtobuf(decodeTraceRequest(encodeTraceRequest(request)));
    const span = 'resourceSpans[0].scopeSpans[1].spans[1]';
    const spans = (last: object) => ({
      resourceSpans: [{ scopeSpans: [{ spans: [{}] }, { spans: [{ attributes: [ok] }, last] }] }],
    });
    expect(read(spans({ attributes: [ok, { key: 'deep', value: array }] }))).toThrow(
      expect.objectContaining({
        code: 'too_deep',
        field: `${span}.attributes[1].value${'.arrayValue.values[0]'.repeat(LIVE_LIMITS.maxValueDepth)}`,
      }),
    );
    expect(read(spans({ events: [{}, { attributes: [{ key: 'deep', value: kvlist }] }] }))).toThrow(
      expect.objectContaining({
        field: `${span}.events[1].attributes[0].value${'.kvlistValue.values[0].value'.repeat(LIVE_LIMITS.maxValueDepth)}`,
      }),
    );
    expect(
      read({ resourceSpans: [{}, { resource: { attributes: [ok, { key: 'd', value: array }] } }] }),
    ).toThrow(
      expect.objectContaining({
        field: expect.stringMatching(/^resourceSpans\[1\]\.resource\.attributes\[1\]\.value\./),
      }),
    );
  });

  it('counts spans before reading them: one past the limit refuses the request', () => {
    const spans = Array.from({ length: LIVE_LIMITS.maxSpansPerRequest + 1 }, () => ({}));
    expect(() => spansFromJson({ resourceSpans: [{ scopeSpans: [{ spans }] }] })).toThrow(
      expect.objectContaining({ code: 'too_many_spans', field: 'resourceSpans' }),
    );
  });

  it.each<[string, unknown, string]>([
    ['a body that is not an object', [], '(body)'],
    ['resourceSpans not an array', { resourceSpans: {} }, 'resourceSpans'],
    [
      'spans not an array',
      { resourceSpans: [{ scopeSpans: [{ spans: 'x' }] }] },
      'resourceSpans[0].scopeSpans[0].spans',
    ],
    [
      'attributes not an array',
      jsonRequest({ attributes: {} }),
      'resourceSpans[0].scopeSpans[0].spans[0].attributes',
    ],
  ])('refuses %s, naming the field', (_name, body, field) => {
    expect(() => spansFromJson(body)).toThrow(expect.objectContaining({ code: 'invalid_otlp', field }));
  });

  it('reads only the first attributes of a span', () => {
    const attributes = Array.from({ length: LIVE_LIMITS.maxAttributesPerSpan + 10 }, (_, i) => ({
      key: `k${i}`,
      value: { intValue: i },
    }));
    const [span] = spansFromJson(jsonRequest({ attributes }));
    expect(span.attributes.size).toBe(LIVE_LIMITS.maxAttributesPerSpan);
  });

  it('encodes the export response: empty when all was accepted, else the partial success', () => {
    expect(encodeTraceResponse(null)).toHaveLength(0);
    expect(decodeTraceResponse(encodeTraceResponse({ rejectedSpans: 3, errorMessage: 'why' }))).toEqual({
      partialSuccess: { rejectedSpans: 3, errorMessage: 'why' },
    });
  });
});
