import { LIVE_LIMITS } from '@gatehouse/domain';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { decodeTraceRequest, encodeTraceRequest } from './otlp-messages';
import { OtlpRequestError, type OtlpSpan, spansFromProtobuf } from './otlp-spans';
import { spansFromProtobufBody } from './otlp-wire-spans';

// --- the reference: protobufjs's decode, then spansFromProtobuf ------------------------------------------

type Outcome = { spans: OtlpSpan[] } | { error: unknown };

function outcome(read: () => OtlpSpan[]): Outcome {
  try {
    return { spans: read() };
  } catch (error) {
    return { error };
  }
}

/** What a thrown error is, as the ingest path answers it: a refusal (all of it) or "not protobuf". */
function described(error: unknown) {
  return error instanceof OtlpRequestError
    ? { refusal: { name: error.name, field: error.field, message: error.message, code: error.code } }
    : { notProtobuf: true }; // (protobufjs's TextDecoder errors are not instances of Jest's Error)
}

/**
 * Reads `body` both ways, as a Buffer (protobufjs's BufferReader: the ingest path) and as a plain
 * Uint8Array (its Reader), and expects the same spans or the same error. Returns the reference outcome.
 */
function expectSame(body: Uint8Array): Outcome {
  const plain = new Uint8Array(body.length);
  plain.set(body);
  const outcomes = [Buffer.from(body), plain].map((bytes) => {
    const expected = outcome(() => spansFromProtobuf(decodeTraceRequest(bytes)));
    const actual = outcome(() => spansFromProtobufBody(bytes));
    if ('spans' in expected) {
      if (!('spans' in actual)) {
        throw new Error(`protobufjs read the body, the wire reader threw ${String(actual.error)}`);
      }
      expect(actual.spans).toStrictEqual(expected.spans);
      // Spans of one resource share its map, as spansFromProtobuf's do.
      expect(sharing(actual.spans)).toEqual(sharing(expected.spans));
    } else {
      expect('error' in actual && described(actual.error)).toEqual(described(expected.error));
    }
    return expected;
  });
  return outcomes[0];
}

/** For each span, the index of the first span holding the same resource map object. */
function sharing(spans: OtlpSpan[]): number[] {
  return spans.map((span) => spans.findIndex((other) => other.resource === span.resource));
}

function spansOf(result: Outcome): OtlpSpan[] {
  if (!('spans' in result)) {
    throw new Error(`expected spans, got ${String(result.error)}`);
  }
  return result.spans;
}

function refusalOf(result: Outcome): OtlpRequestError {
  if (!('error' in result) || !(result.error instanceof OtlpRequestError)) {
    throw new Error('expected a refusal');
  }
  return result.error;
}

// --- bytes, written field by field (to write what an encoder would not) ----------------------------------

type Part = Uint8Array | number[];

const cat = (...parts: Part[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

function varintBytes(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? low | 0x80 : low);
  } while (v);
  return out;
}

const tag = (field: number, wireType: number) => varintBytes(BigInt(field) * 8n + BigInt(wireType));
const len = (field: number, ...parts: Part[]) => {
  const body = cat(...parts);
  return cat(tag(field, 2), varintBytes(body.length), body);
};
const vint = (field: number, value: number | bigint) => cat(tag(field, 0), varintBytes(value));
const fixed64 = (field: number, value: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, value));
  return cat(tag(field, 1), b);
};
const double = (field: number, value: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return cat(tag(field, 1), b);
};
const str = (field: number, value: string | Part) =>
  len(field, typeof value === 'string' ? Buffer.from(value) : value);

// AnyValue members and KeyValues.
const sv = (s: string | Part) => str(1, s);
const bv = (b: number | bigint) => vint(2, b);
const iv = (i: number | bigint) => vint(3, i);
const dv = (d: number) => double(4, d);
const av = (...values: Part[]) => len(5, ...values.map((v) => len(1, v)));
const kvl = (...entries: Part[]) => len(6, ...entries.map((e) => len(1, e)));
const yv = (bytes: Part) => len(7, bytes);
const kv = (key: string | Part, ...value: Part[]) => cat(str(1, key), len(2, ...value));

/** Fields of every wire type no reader declares: a varint, a fixed64, a length-delimited, a fixed32, a group. */
const unknowns = (field = 90) =>
  cat(
    vint(field, 300),
    cat(tag(field + 1, 1), [1, 2, 3, 4, 5, 6, 7, 8]),
    str(field + 2, 'skipped'),
    cat(tag(field + 3, 5), [9, 9, 9, 9]),
    cat(tag(field + 4, 3), vint(1, 1), cat(tag(2, 3), str(3, 'in'), tag(2, 4)), tag(field + 4, 4)),
  );

const TRACE = Buffer.from('5b8efff798038103d269b633813fc60c', 'hex');
const SPAN = Buffer.from('eee19b7ec3c1b174', 'hex');
const ids = () => cat(str(1, TRACE), str(2, SPAN));
const attr = (...kvBytes: Part[]) => len(9, ...kvBytes);
const event = (name: string, ...attributes: Part[]) =>
  len(11, str(2, name), ...attributes.map((a) => len(3, a)));
const status = (code: number | bigint) => len(15, vint(3, code));
const span = (...fields: Part[]) => len(2, ...fields);
const scope = (...spans: Part[]) => len(2, len(1, str(1, 'scope')), ...spans);
const resource = (...attributes: Part[]) => len(1, ...attributes.map((a) => len(1, a)));
const resourceSpans = (...fields: Part[]) => len(1, ...fields);
const request = (...resources: Part[]) => cat(...resources);
/** One resource and scope holding these spans' fields. */
const oneSpan = (...fields: Part[]) =>
  request(resourceSpans(resource(kv('service.name', sv('svc'))), scope(span(ids(), ...fields))));

/** An AnyValue holding arrays `depth - 1` deep around a string (1: the string itself). */
function nestedArray(depth: number): Buffer {
  let value = sv('leaf');
  for (let i = 1; i < depth; i++) {
    value = av(value);
  }
  return value;
}
function nestedKvlist(depth: number): Buffer {
  let value = sv('leaf');
  for (let i = 1; i < depth; i++) {
    value = kvl(kv('k', value));
  }
  return value;
}

// --- the OpenTelemetry SDK's serializer -------------------------------------------------------------------

function exporterBody(spans: number, plain = false): Uint8Array {
  const exporter = new InMemorySpanExporter();
  const providers = ['benefits-assistant', 'housing-assistant'].map(
    (name) =>
      new BasicTracerProvider({
        resource: resourceFromAttributes({
          'service.name': name,
          'service.version': '1.4.2',
          'host.cores': 2,
        }),
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      }),
  );
  const tracers = providers.flatMap((p) => [p.getTracer('gen-ai', '2.0.1'), p.getTracer('http')]);
  const start = 1764936000000;
  let previous: { traceId: string; spanId: string; traceFlags: number } | null = null;
  for (let i = 0; i < spans; i++) {
    const tracer = tracers[i % tracers.length];
    const s = tracer.startSpan(`chat ${i}`, {
      kind: i % 2 ? SpanKind.CLIENT : SpanKind.INTERNAL,
      startTime: start + i,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 120 + i,
        'gen_ai.usage.negative': -5 - i,
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.stop_sequences': ['\n\n', 'END'],
        'app.flags': [true, false],
        'app.scores': [0.5, -1],
        'app.big': 2 ** 60,
        'app.unicode': 'Grüße, 世界 🌍',
        'gen_ai.input.messages': JSON.stringify([
          { role: 'user', parts: [{ type: 'text', content: `q${i}` }] },
        ]),
      },
      links: previous ? [{ context: previous, attributes: { 'link.kind': 'follows' } }] : [],
    });
    s.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': `How do I apply? ${i}` });
    s.addEvent('gen_ai.content.completion', { 'gen_ai.completion': 'Online.', index: 0, ok: true });
    if (i % 3 === 0) {
      s.setStatus({ code: SpanStatusCode.ERROR, message: 'model timed out' });
    } else if (i % 3 === 1) {
      s.setStatus({ code: SpanStatusCode.OK });
    }
    previous = s.spanContext();
    s.end(start + i + 250);
  }
  const encoded = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array;
  return plain ? new Uint8Array(encoded) : Buffer.from(encoded);
}

// --- a seeded random source --------------------------------------------------------------------------------

function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof random>;

describe('spansFromProtobufBody (the protobuf wire read straight into spans)', () => {
  describe('reads what the OpenTelemetry SDK exports as protobufjs and spansFromProtobuf do', () => {
    it.each([1, 7, 200])('a batch of %i spans over two resources and four scopes', (n) => {
      const spans = spansOf(expectSame(exporterBody(n)));
      expect(spans).toHaveLength(n);
      // The body is what the test means it to be: ids, times, attributes of every kind, events, statuses.
      const [first] = spans.filter((s) => s.attributes.get('gen_ai.usage.input_tokens') === 120);
      expect(first).toMatchObject({
        startNs: 1764936000000000000,
        endNs: 1764936000250000000,
        errored: true,
      });
      expect(first.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(first.attributes.get('app.flags')).toEqual([true, false]);
      expect(first.attributes.get('app.scores')).toEqual([0.5, -1]);
      expect(first.attributes.get('app.big')).toBe(2 ** 60);
      expect(first.attributes.get('gen_ai.usage.negative')).toBe(-5);
      expect(first.attributes.get('app.unicode')).toBe('Grüße, 世界 🌍');
      expect(first.events[1]).toEqual({
        name: 'gen_ai.content.completion',
        attributes: new Map<string, unknown>([
          ['gen_ai.completion', 'Online.'],
          ['index', 0],
          ['ok', true],
        ]),
      });
      expect(first.resource.get('service.name')).toBe('benefits-assistant');
    });

    it('reads a body given as a Uint8Array (not a Buffer) the same, its bytes values as Uint8Arrays', () => {
      expect(spansOf(expectSame(exporterBody(20, true)))).toHaveLength(20);
      const bytes = new Uint8Array(oneSpan(attr(kv('b', yv([1, 2, 3])))));
      const [read] = spansFromProtobufBody(bytes);
      expect(read.attributes.get('b')).toStrictEqual(new Uint8Array([1, 2, 3]));
      expect(Buffer.isBuffer(spansFromProtobufBody(Buffer.from(bytes))[0].attributes.get('b'))).toBe(true);
    });
  });

  describe('reads hand-built messages as protobufjs and spansFromProtobuf do', () => {
    it('every kind of AnyValue, as encoded by protobufjs', () => {
      const body = encodeTraceRequest({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: TRACE,
                    spanId: SPAN,
                    startTimeUnixNano: '1764936000000000000',
                    endTimeUnixNano: '18446744073709551615',
                    attributes: [
                      { stringValue: 'text' },
                      { stringValue: '' },
                      { boolValue: true },
                      { boolValue: false },
                      { intValue: '42' },
                      { intValue: 0 },
                      { intValue: '-1' },
                      { intValue: '-9223372036854775808' },
                      { intValue: '9223372036854775807' },
                      { intValue: '9007199254740993' },
                      { doubleValue: 1.5 },
                      { doubleValue: -0 },
                      { doubleValue: Number.NaN },
                      { doubleValue: Number.NEGATIVE_INFINITY },
                      { bytesValue: Buffer.from([0, 255]) },
                      { bytesValue: Buffer.alloc(0) },
                      { arrayValue: { values: [{ stringValue: 'x' }, { intValue: 7 }, {}] } },
                      { arrayValue: {} },
                      { kvlistValue: { values: [{ key: 'role', value: { stringValue: 'user' } }] } },
                      { kvlistValue: {} },
                      {},
                    ]
                      .map((value, i) => ({ key: `k${i}`, value }))
                      .concat([
                        { key: 'no value' },
                        { key: '', value: { stringValue: 'no key' } },
                      ] as never[]),
                    events: [{ name: 'e', attributes: [{ key: 'i', value: { intValue: 1 } }] }, {}],
                    status: { code: 2, message: 'failed' },
                  },
                  { status: {} },
                  {},
                ],
              },
            ],
          },
          {},
        ],
      });
      const spans = spansOf(expectSame(body));
      expect(spans).toHaveLength(3);
      expect(spans[0].attributes.size).toBe(20);
      expect(spans[0].endNs).toBe(2 ** 64);
      expect(spans[0].attributes.get('k7')).toBe(-(2 ** 63));
      expect(spans[0].attributes.get('k14')).toStrictEqual(Buffer.from([0, 255]));
    });

    it('values nested to the depth limit and past it (arrays and key-value lists), naming the same field', () => {
      const at = LIVE_LIMITS.maxValueDepth;
      expect(
        spansOf(expectSame(oneSpan(attr(kv('a', nestedArray(at))), attr(kv('k', nestedKvlist(at)))))),
      ).toHaveLength(1);
      for (const deep of [nestedArray(at + 1), nestedKvlist(at + 1), nestedArray(at + 3)]) {
        const error = refusalOf(expectSame(oneSpan(attr(kv('ok', sv('x'))), attr(kv('deep', deep)))));
        expect(error.code).toBe('too_deep');
        expect(error.field).toMatch(
          /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[1\]\.value\./,
        );
      }
      // In an event's attributes, a resource's, and past an array's and a list's first values.
      expectSame(oneSpan(event('e'), event('e', kv('ok', sv('1')), kv('d', nestedKvlist(at + 1)))));
      expectSame(request(resourceSpans(resource(kv('ok', sv('1')), kv('d', nestedArray(at + 1))))));
      expectSame(oneSpan(attr(kv('d', av(sv('1'), iv(2), nestedArray(at))))));
      expectSame(oneSpan(attr(kv('d', kvl(kv('a', sv('1')), kv('b', nestedKvlist(at))))))); // one too deep
      // An empty AnyValue past the limit is no value, not too deep.
      expect(spansOf(expectSame(oneSpan(attr(kv('d', av(av(av(av(av(av(av(av([])))))))))))))).toHaveLength(1);
    });

    it('refuses the first value too deep in the order spansFromProtobuf reads, wherever it is on the wire', () => {
      const deep = nestedArray(LIVE_LIMITS.maxValueDepth + 1);
      // The resource after its scope spans: its attributes are read first.
      const resourceLast = refusalOf(
        expectSame(request(resourceSpans(scope(span(attr(kv('d', deep)))), resource(kv('d', deep))))),
      );
      expect(resourceLast.field).toMatch(/^resourceSpans\[0\]\.resource\.attributes\[0\]/);
      // Events before attributes on the wire: the attributes are read first.
      const eventsFirst = refusalOf(expectSame(oneSpan(event('e', kv('d', deep)), attr(kv('d', deep)))));
      expect(eventsFirst.field).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]/);
      // A later resource's deep value after an earlier resource's.
      expectSame(
        request(
          resourceSpans(scope(span(), span(event('e'), event('e', kv('d', deep))))),
          resourceSpans(resource(kv('d', deep))),
        ),
      );
    });

    it(`reads the first ${LIVE_LIMITS.maxAttributesPerSpan} attributes, events, array values and list entries (the others are not read: a deep one among them is no refusal)`, () => {
      const n = LIVE_LIMITS.maxAttributesPerSpan;
      const deep = nestedArray(LIVE_LIMITS.maxValueDepth + 1);
      const many = (f: (i: number) => Part) => Array.from({ length: n + 3 }, (_, i) => f(i));
      const body = request(
        resourceSpans(
          resource(...many((i) => kv(`r${i}`, i === n + 1 ? deep : iv(i)))),
          scope(
            span(
              ...many((i) => attr(kv(`a${i}`, i === n ? deep : iv(i)))),
              ...many((i) => event(`e${i}`, kv('d', i >= n ? deep : sv('x')))),
              attr(kv('arr', av(...many((i) => (i === n + 2 ? deep : iv(i)))))),
              attr(kv('kv', kvl(...many((i) => kv(`k${i}`, i === n ? deep : iv(i)))))),
            ),
          ),
        ),
      );
      const [read] = spansOf(expectSame(body));
      expect(read.attributes.size).toBe(n);
      expect(read.events).toHaveLength(n);
      expect(read.resource.size).toBe(n);
    });

    it('keeps the first of duplicate keys, drops empty keys, and reads a key-value whose value comes first', () => {
      const [read] = spansOf(
        expectSame(
          oneSpan(
            attr(kv('k', sv('first'))),
            attr(kv('k', sv('second'))),
            attr(kv('', sv('empty key'))),
            attr(cat(len(2, sv('value first')), str(1, 'late'))),
            attr(cat(str(1, 'one'), str(1, 'two'), len(2, sv('v')))), // the last key wins
            attr(cat(str(1, 'gone'), str(1, ''), len(2, sv('v')))), // an empty key clears the earlier one
            attr(kv('kv', kvl(kv('a', sv('1')), kv('a', sv('2')), kv('', sv('3'))))),
          ),
        ),
      );
      expect([...read.attributes.keys()]).toEqual(['k', 'late', 'two', 'kv']);
    });

    it('skips unknown fields of every wire type, and declared fields of the wrong wire type, everywhere', () => {
      const u = unknowns();
      const body = request(
        u,
        resourceSpans(
          u,
          len(1, u, len(1, u, str(1, 'service.name'), u, len(2, u, sv('svc'), u)), u),
          len(
            2,
            u,
            len(1, str(1, 'scope')),
            u,
            span(
              u,
              ids(),
              u,
              attr(u, str(1, 'a'), len(2, u, len(5, u, len(1, u, iv(1)), u), u), u),
              u,
              len(11, u, str(2, 'e'), u, len(3, u, kv('k', sv('v')), u), u),
              u,
              status(2),
              len(15, u),
              u,
            ),
          ),
          u,
        ),
        u,
      );
      const [read] = spansOf(expectSame(body));
      expect(read.attributes.get('a')).toEqual([1]);
      expect(read.events).toEqual([{ name: 'e', attributes: new Map([['k', 'v']]) }]);
      expect(read.resource).toEqual(new Map([['service.name', 'svc']]));
      expect(read.errored).toBe(true);
      // Declared fields with another wire type than theirs are skipped as unknown ones.
      const wrong = oneSpan(
        vint(7, 5), // a start time as a varint
        str(8, 'x'), // an end time as bytes
        vint(9, 1), // attributes as a varint
        vint(1, 7), // a trace id as a varint
        attr(kv('s', vint(1, 5))), // a string value as a varint: no value
        attr(kv('b', str(2, 'x'))), // a bool as bytes
        attr(kv('i', double(3, 1))), // an int as a double
        attr(kv('d', vint(4, 1))), // a double as a varint
        attr(kv('a', vint(5, 1))),
        attr(cat(vint(1, 3), len(2, sv('v')))), // a key as a varint
        len(15, str(3, 'x')), // a status code as bytes
        cat(tag(11, 5), [0, 0, 0, 0]), // an event as a fixed32
      );
      const [w] = spansOf(expectSame(wrong));
      expect(w.attributes.size).toBe(0);
      expect(w.traceId).toBe(TRACE.toString('hex'));
    });

    it('lets the last of a repeated singular field win, merges repeated messages, and switches the oneof as protobufjs does', () => {
      const body = oneSpan(
        str(1, Buffer.alloc(16, 1)), // a second trace id: the last wins
        fixed64(7, 5n),
        fixed64(7, 7n),
        fixed64(8, 9n),
        fixed64(8, 0n), // zero clears
        status(2),
        status(0), // the status merged: the last code, 0, wins
        attr(kv('s', sv('a'), sv('b'))), // string then string
        attr(kv('si', sv('a'), iv(3))), // string then int
        attr(kv('is', iv(3), sv('a'))),
        attr(kv('aa', av(sv('1')), av(sv('2')))), // two arrays: merged
        attr(kv('asa', av(sv('1')), sv('x'), av(sv('2')))), // array, string, array: the last array only
        attr(kv('ak', av(sv('1')), kvl(kv('k', sv('v'))))),
        attr(kv('kk', kvl(kv('a', sv('1'))), kvl(kv('b', sv('2')), kv('a', sv('3'))))),
        attr(cat(str(1, 'vv'), len(2, av(sv('1'))), len(2, av(sv('2'))))), // the value twice: merged
        attr(cat(str(1, 'vs'), len(2, av(sv('1'))), len(2, sv('x')))),
        attr(cat(str(1, 'vb'), len(2, bv(1)), len(2, yv([7])))),
        attr(kv('bb', bv(1), bv(0))),
        attr(kv('dd', dv(1), dv(2))),
        len(11, str(2, 'first'), str(2, 'second'), len(3, kv('x', sv('y')))),
        len(11, str(2, 'named'), str(2, '')), // an empty name clears
      );
      const [read] = spansOf(expectSame(body));
      expect(read.attributes.get('aa')).toEqual(['1', '2']);
      expect(read.attributes.get('asa')).toEqual(['2']);
      expect(read.attributes.get('vv')).toEqual(['1', '2']);
      expect(read.events.map((e) => e.name)).toEqual(['second', '']);
      expect(read).toMatchObject({ startNs: 7, endNs: 0, errored: false, traceId: '01'.repeat(16) });
      // A status merged the other way round.
      expect(spansOf(expectSame(oneSpan(status(0), status(2))))[0].errored).toBe(true);
      expect(spansOf(expectSame(oneSpan(status(2), len(15, str(2, 'message only')))))[0].errored).toBe(true);
      // A resource twice: its attributes appended; a second resource spans is another resource.
      const resources = spansOf(
        expectSame(
          request(
            resourceSpans(
              resource(kv('a', sv('1'))),
              scope(span()),
              resource(kv('b', sv('2')), kv('a', sv('3'))),
            ),
            resourceSpans(scope(span(), span())),
          ),
        ),
      );
      expect(resources[0].resource).toEqual(
        new Map([
          ['a', '1'],
          ['b', '2'],
        ]),
      );
      expect(resources[1].resource).toBe(resources[2].resource);
    });

    it('reads int64 values as protobufjs and Long#toNumber do (negative, past 2^53, ten-byte varints) and fixed64 times past 2^53', () => {
      const ints = [
        0n,
        1n,
        -1n,
        2n ** 53n + 1n,
        2n ** 63n - 1n,
        -(2n ** 63n),
        -(2n ** 53n) - 3n,
        2n ** 64n - 1n,
        12345678901234567n,
      ];
      const body = oneSpan(
        ...ints.map((i, n) => attr(kv(`i${n}`, iv(i)))),
        fixed64(7, 2n ** 64n - 1n),
        fixed64(8, 2n ** 53n + 1n),
        attr(kv('long varint', cat(tag(3, 0), [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]))),
        attr(kv('padded', cat(tag(3, 0), [0x85, 0x80, 0x80, 0x00]))),
        attr(
          kv(
            'bool of high bits',
            cat(tag(2, 0), [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
          ),
        ),
        len(15, cat(tag(3, 0), [0x82, 0x80, 0x80, 0x80, 0x10])), // the code 2 + 2^32: its low 32 bits are 2
      );
      const [read] = spansOf(expectSame(body));
      expect(read.attributes.get('i2')).toBe(-1);
      expect(read.attributes.get('i5')).toBe(-(2 ** 63));
      expect(read.attributes.get('bool of high bits')).toBe(true);
      expect(read.errored).toBe(true);
    });

    it('reads tags and lengths written in more bytes than needed, as protobufjs does', () => {
      const padded = (n: number, bytes: number) => [
        ...Array.from({ length: bytes - 1 }, (_, i) => ((n >>> (7 * i)) & 0x7f) | 0x80),
        n >>> (7 * (bytes - 1)),
      ];
      const value = cat(padded((1 << 3) | 2, 5), padded(3, 4), Buffer.from('abc'));
      const keyValue = cat(str(1, 'k'), padded((2 << 3) | 2, 3), padded(value.length, 5), value);
      const body = oneSpan(cat(padded((9 << 3) | 2, 2), padded(keyValue.length, 2), keyValue));
      const [read] = spansOf(expectSame(body));
      expect(read.attributes.get('k')).toBe('abc');
      // A field number past 2^25: a five-byte tag.
      expect(spansOf(expectSame(oneSpan(vint(536870911, 1), str(536870910, 'x'))))).toHaveLength(1);
    });

    it('decodes strings as protobufjs does, and refuses invalid UTF-8 in every string field as it does', () => {
      const valid = [
        [0xef, 0xbb, 0xbf, 0x41], // a byte order mark (kept)
        [0xef, 0xbf, 0xbd], // U+FFFD itself
        [0xf0, 0x9f, 0x8c, 0x8d],
        [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
        [...Buffer.alloc(70, 0x41), 0xc3, 0xa9], // past protobufjs's TextDecoder threshold
      ];
      const [read] = spansOf(
        expectSame(
          oneSpan(...valid.flatMap((bytes, i) => [attr(kv(`s${i}`, sv(bytes))), attr(kv(bytes, sv('key')))])),
        ),
      );
      expect(read.attributes.get('s0')).toBe('\ufeffA');
      expect(read.attributes.get('s1')).toBe('\ufffd');
      const invalid = [
        [0xff],
        [0xc3],
        [0xe2, 0x82],
        [0xed, 0xa0, 0x80], // a UTF-16 surrogate
        [0xf0, 0x9f, 0x8c],
        [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
        [0xc0, 0xaf], // overlong
        [0x61, 0x80, 0x62],
        [...Buffer.from('an ascii prefix'), 0xe9, 0x74, 0xe9],
        [...Buffer.alloc(70, 0x41), 0xfe],
      ];
      const at = (bytes: number[]) => [
        oneSpan(attr(kv('s', sv(bytes)))),
        oneSpan(attr(kv(bytes, sv('value')))),
        oneSpan(attr(kv('k', kvl(kv(bytes, iv(1)))))),
        oneSpan(event('e'), len(11, str(2, bytes))),
        oneSpan(str(5, bytes)), // the span's name: not read, but decoded
        oneSpan(len(15, str(2, bytes), vint(3, 2))), // the status message
        oneSpan(
          ...Array.from({ length: LIVE_LIMITS.maxAttributesPerSpan }, () => attr(kv('a', iv(1)))),
          attr(kv('past', sv(bytes))),
        ),
        oneSpan(attr(kv('deep', nestedArray(LIVE_LIMITS.maxValueDepth + 1))), attr(kv('s', sv(bytes)))),
      ];
      for (const bytes of invalid) {
        for (const body of at(bytes)) {
          expect(described((expectSame(body) as { error: unknown }).error)).toEqual({ notProtobuf: true });
        }
        // Not in a field no one declares (the scope's name), nor in one of another wire type.
        expectSame(request(resourceSpans(len(2, len(1, str(1, bytes)), span(ids())))));
      }
    });

    it.each<[string, Part, Part]>([
      ['empty', [], []],
      ['all zero', Buffer.alloc(16), Buffer.alloc(8)],
      ['the wrong length', Buffer.alloc(15, 1), Buffer.alloc(9, 1)],
      ['swapped', SPAN, TRACE],
    ])('reads %s ids as no id', (_name, trace, spanId) => {
      const [read] = spansOf(expectSame(request(resourceSpans(scope(span(str(1, trace), str(2, spanId)))))));
      expect(read).toMatchObject({ traceId: null, spanId: null });
      // An empty id after a valid one clears it, as protobufjs does.
      expect(spansOf(expectSame(oneSpan(str(1, [])))).map((s) => s.traceId)).toEqual([null]);
    });

    it(`counts every span before reading any: ${LIVE_LIMITS.maxSpansPerRequest + 1} refuse the request before a value too deep`, () => {
      const n = LIVE_LIMITS.maxSpansPerRequest;
      const deep = span(attr(kv('d', nestedArray(LIVE_LIMITS.maxValueDepth + 1))));
      const at = (count: number) =>
        request(resourceSpans(scope(deep, ...Array<Part>(count - 2).fill(span())), scope(span())));
      expect(refusalOf(expectSame(at(n))).code).toBe('too_deep');
      const error = refusalOf(expectSame(at(n + 1)));
      expect({ code: error.code, field: error.field }).toEqual({
        code: 'too_many_spans',
        field: 'resourceSpans',
      });
    });

    it('throws on what protobufjs cannot decode, before any refusal', () => {
      const good = oneSpan(attr(kv('d', nestedArray(LIVE_LIMITS.maxValueDepth + 2))));
      const broken: [string, Buffer][] = [
        ['truncated', good.subarray(0, good.length - 3)],
        ['a length past the end', cat(good, tag(1, 2), [0x05, 1])],
        ['a truncated varint', cat(good, [0x08, 0x80])],
        ['a group never ended', cat(good, tag(5, 3), vint(1, 1))],
        ['a group ended by another field', cat(tag(5, 3), tag(6, 4))],
        ['an end group alone', cat(good, tag(5, 4))],
        ['wire type 6', cat(good, tag(5, 6))],
        ['wire type 7', cat(good, tag(5, 7))],
        ['field number 0', cat(good, [0x00, 0x00])],
        [
          'a varint of 11 bytes in an int',
          oneSpan(attr(kv('i', cat(tag(3, 0), Array<number>(10).fill(0x80), [0])))),
        ],
        ['a tag of six bytes', cat([0x88, 0x80, 0x80, 0x80, 0x80, 0x00], [0])],
        ['a length whose fifth byte is past 7', cat(tag(9, 2), [0x80, 0x80, 0x80, 0x80, 0x08])],
        ['a fixed64 cut short', len(1, len(2, len(2, cat(tag(7, 1), [1, 2, 3]))))],
        ['a span longer than its scope spans', len(1, len(2, cat(tag(2, 2), [10], ids())))],
        ['messages nested past 100', oneSpan(attr(kv('d', nestedArray(60))))],
        [
          'groups nested past 100',
          oneSpan(
            attr(
              kv(
                'g',
                cat(
                  ...Array.from({ length: 101 }, () => tag(9, 3)),
                  ...Array.from({ length: 101 }, () => tag(9, 4)),
                ),
              ),
            ),
          ),
        ],
      ];
      for (const [name, body] of broken) {
        const result = expectSame(body);
        expect({ name, thrown: 'error' in result && described(result.error) }).toEqual({
          name,
          thrown: { notProtobuf: true },
        });
      }
      // Unknown groups count in the nesting as protobufjs counts them: the request is level 0, a span 3.
      const groups = (g: number) =>
        cat(
          ...Array.from({ length: g }, () => tag(9, 3)),
          vint(1, 1),
          ...Array.from({ length: g }, () => tag(9, 4)),
        );
      expect(spansOf(expectSame(cat(groups(100), oneSpan())))).toHaveLength(1);
      expect('error' in expectSame(cat(groups(101), oneSpan()))).toBe(true);
      expect(spansOf(expectSame(oneSpan(groups(97))))).toHaveLength(1);
      expect('error' in expectSame(oneSpan(groups(98)))).toBe(true);
      // Nested to 99 (values past the depth limit: a refusal, not a decode failure), then to 101.
      expect(refusalOf(expectSame(oneSpan(attr(kv('d', nestedArray(48))))))).toMatchObject({
        code: 'too_deep',
      });
      expect('error' in expectSame(oneSpan(attr(kv('d', nestedArray(49)))))).toBe(true);
    });
  });

  describe('fuzzed against protobufjs and spansFromProtobuf', () => {
    it('reads 400 random well-formed requests the same', () => {
      const rng = random(20261205);
      let refused = 0;
      let undecodable = 0;
      let read = 0;
      for (let n = 0; n < 400; n++) {
        const result = expectSame(randomRequest(rng));
        if ('spans' in result) {
          read += result.spans.length;
        } else if (result.error instanceof OtlpRequestError) {
          refused++;
        } else {
          undecodable++; // invalid UTF-8
        }
      }
      // Every outcome is exercised.
      expect(read).toBeGreaterThan(300);
      expect(refused).toBeGreaterThan(10);
      expect(undecodable).toBeGreaterThan(0);
    });

    it('throws whenever protobufjs does, and reads the same otherwise, on mutated and truncated exports', () => {
      const rng = random(7);
      const bodies = [
        Buffer.from(exporterBody(3)),
        oneSpan(attr(kv('a', av(iv(-3), dv(1.5), kvl(kv('k', yv([1]))))))),
        randomRequest(random(3)),
      ];
      // A fixed count (about a second), not a time budget: every run reads the same bodies, loaded machine or not.
      let decoded = 0;
      for (let mutations = 0; mutations < 3_000; mutations++) {
        if ('spans' in expectSame(mutate(rng, rng.pick(bodies)))) {
          decoded++;
        }
      }
      expect(decoded).toBeGreaterThan(20);
    }, 30_000);
  });
});

// --- random requests and mutations ------------------------------------------------------------------------

function randomString(rng: Random): Part {
  switch (rng.int(5)) {
    case 0:
      return [];
    case 1:
      return Buffer.from(rng.pick(['a', 'key', 'gen_ai.usage.input_tokens', 'Grüße 🌍', 'x'.repeat(70)]));
    case 2: {
      // Random code points of one to four bytes; now and then a byte that is no UTF-8 (protobufjs refuses it).
      const text = String.fromCodePoint(
        ...Array.from({ length: rng.int(6) }, () => rng.pick([0x7f, 0x7ff, 0xd7ff, 0xfffd, 0x10ffff])),
      );
      return rng.chance(0.02) ? cat(Buffer.from(text), [0x80 + rng.int(128)]) : Buffer.from(text);
    }
    default:
      return Buffer.from(rng.pick(['k', 'role', 'model', 'a', 'b']));
  }
}

function randomInt(rng: Random): bigint {
  return rng.pick([
    0n,
    1n,
    -1n,
    42n,
    2n ** 53n + 1n,
    -(2n ** 63n),
    2n ** 64n - 1n,
    BigInt(rng.int(1 << 30)) * 1_000_003n,
  ]);
}

function randomUnknown(rng: Random): Part {
  const field = rng.pick([3, 4, 10, 12, 13, 14, 99, 536870911]);
  switch (rng.int(5)) {
    case 0:
      return vint(field, randomInt(rng));
    case 1:
      return cat(tag(field, 1), Array<number>(8).fill(rng.int(256)));
    case 2:
      return str(field, randomString(rng));
    case 3:
      return cat(tag(field, 5), [1, 2, 3, 4]);
    default:
      return cat(tag(field, 3), vint(1, 1), tag(field, 4));
  }
}

/** Parts in a random order, now and then with unknown fields and a part repeated. */
function shuffled(rng: Random, parts: Part[]): Part[] {
  const out = [...parts];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  if (rng.chance(0.2)) {
    out.splice(rng.int(out.length + 1), 0, randomUnknown(rng));
  }
  if (out.length > 0 && rng.chance(0.1)) {
    out.push(rng.pick(out));
  }
  return out;
}

function randomValue(rng: Random, depth: number): Part {
  const members = (): Part => {
    switch (rng.int(depth > 10 ? 5 : 8)) {
      case 0:
        return sv(randomString(rng));
      case 1:
        return bv(rng.pick([0, 1, 2]));
      case 2:
        return iv(randomInt(rng));
      case 3:
        return dv(rng.pick([0, -0, 1.5, -2, Number.NaN, 1e300]));
      case 4:
        return yv(randomString(rng));
      case 5:
      case 6:
        return av(...Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1)));
      default:
        return kvl(...Array.from({ length: rng.int(4) }, () => randomKeyValue(rng, depth + 1)));
    }
  };
  // Mostly one member; sometimes none, or several (the oneof switched, or a message member merged).
  const count = rng.chance(0.1) ? 0 : rng.chance(0.15) ? 2 + rng.int(2) : 1;
  return cat(...shuffled(rng, Array.from({ length: count }, members)));
}

function randomKeyValue(rng: Random, depth: number): Part {
  const value = rng.chance(0.01)
    ? rng.pick([nestedArray, nestedKvlist])(LIVE_LIMITS.maxValueDepth + 2 - Math.min(depth, 2))
    : randomValue(rng, depth);
  const parts: Part[] = [str(1, randomString(rng)), len(2, value)];
  if (rng.chance(0.05)) {
    parts.push(len(2, randomValue(rng, depth)));
  }
  return cat(...shuffled(rng, parts));
}

function randomSpan(rng: Random): Part {
  const idOf = (size: number) =>
    rng.pick([[], Buffer.alloc(size), Buffer.alloc(size, 0xab), Buffer.alloc(size + 1, 1)]);
  const fields: Part[] = [
    str(1, idOf(16)),
    str(2, idOf(8)),
    str(5, randomString(rng)),
    fixed64(7, randomInt(rng)),
    fixed64(8, randomInt(rng)),
    ...Array.from({ length: rng.int(5) }, () => len(9, randomKeyValue(rng, 1))),
    ...Array.from({ length: rng.int(3) }, () =>
      len(
        11,
        ...shuffled(rng, [
          str(2, randomString(rng)),
          ...Array.from({ length: rng.int(3) }, () => len(3, randomKeyValue(rng, 1))),
        ]),
      ),
    ),
  ];
  if (rng.chance(0.6)) {
    fields.push(len(15, ...shuffled(rng, [vint(3, rng.pick([0, 1, 2, 2n + 2n ** 32n, -1])), str(2, 'm')])));
  }
  return len(2, ...shuffled(rng, fields));
}

function randomRequest(rng: Random): Buffer {
  const resources = Array.from({ length: rng.int(3) + 1 }, () => {
    const parts: Part[] = [
      ...Array.from({ length: rng.int(3) }, () =>
        len(
          2,
          ...shuffled(rng, [
            len(1, str(1, 'scope')),
            ...Array.from({ length: rng.int(4) }, () => randomSpan(rng)),
          ]),
        ),
      ),
    ];
    if (rng.chance(0.8)) {
      parts.push(len(1, ...Array.from({ length: rng.int(4) }, () => len(1, randomKeyValue(rng, 1)))));
    }
    return len(1, ...shuffled(rng, parts));
  });
  return cat(...shuffled(rng, resources));
}

function mutate(rng: Random, body: Buffer): Buffer {
  const out = Buffer.from(body);
  switch (rng.int(5)) {
    case 0: // truncate
      return out.subarray(0, rng.int(out.length));
    case 1: {
      // overwrite a few bytes
      for (let i = rng.int(3) + 1; i > 0; i--) {
        out[rng.int(out.length)] = rng.pick([0, 0x7f, 0x80, 0xff, rng.int(256)]);
      }
      return out;
    }
    case 2: {
      // insert bytes
      const at = rng.int(out.length + 1);
      return cat(
        out.subarray(0, at),
        Array.from({ length: rng.int(4) + 1 }, () => rng.int(256)),
        out.subarray(at),
      );
    }
    case 3: {
      // delete bytes
      const at = rng.int(out.length);
      return cat(out.subarray(0, at), out.subarray(at + rng.int(4) + 1));
    }
    default: {
      // a length byte or a tag off by one
      const at = rng.int(out.length);
      out[at] = (out[at] + (rng.chance(0.5) ? 1 : 255)) & 0xff;
      return out;
    }
  }
}
