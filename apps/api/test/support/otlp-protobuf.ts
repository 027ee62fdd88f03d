import { randomBytes } from 'node:crypto';

/**
 * A protobuf writer for hand-made OTLP bodies (field numbers of opentelemetry/proto/trace/v1), for tests that
 * send what no SDK would: malformed wire data, odd shapes, hostile attribute values.
 */

export const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
};
/** A field's tag: its number and wire type (0 varint, 1 fixed64, 2 length-delimited, 3/4 group start/end). */
export const tag = (field: number, wire: number) => Buffer.from(varint(field * 8 + wire));
/** A length-delimited field. */
export const ld = (field: number, body: Buffer | number[] | string): Buffer => {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body as never);
  return Buffer.concat([tag(field, 2), Buffer.from(varint(b.length)), b]);
};
/** A varint field. */
export const vi = (field: number, n: number) => Buffer.concat([tag(field, 0), Buffer.from(varint(n))]);
export const cat = (...parts: Buffer[]) => Buffer.concat(parts);
export const fixed64 = (field: number, nanos: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(nanos);
  return cat(tag(field, 1), b);
};

/** AnyValue members: a string, a key-value list, an array. */
export const sv = (s: string) => ld(1, s);
export const kvlistOf = (...entries: Buffer[]) => ld(6, cat(...entries.map((e) => ld(1, e))));
export const arrayOf = (...values: Buffer[]) => ld(5, cat(...values.map((v) => ld(1, v))));
/** A KeyValue (its value an AnyValue's bytes). */
export const kv = (key: string, value: Buffer) => cat(ld(1, key), ld(2, value));
/** A span attribute. */
export const attr = (key: string, value: Buffer) => ld(9, kv(key, value));

export const newIds = () => ({
  traceId: randomBytes(16).toString('hex'),
  spanId: randomBytes(8).toString('hex'),
});

/** A gen_ai span: trace and span id, name, times (started a second ago), the operation, and more fields. */
export const span = (ids: { traceId: string; spanId: string }, ...rest: Buffer[]) =>
  cat(
    ld(1, Buffer.from(ids.traceId, 'hex')),
    ld(2, Buffer.from(ids.spanId, 'hex')),
    ld(5, 'chat'),
    fixed64(7, BigInt(Date.now() - 1_000) * 1_000_000n),
    fixed64(8, BigInt(Date.now()) * 1_000_000n),
    attr('gen_ai.operation.name', sv('chat')),
    ...rest,
  );

/**
 * An ExportTraceServiceRequest: one ResourceSpans holding one scope of these spans, with a resource of these
 * attributes (none: no resource field at all).
 */
export const exportRequest = (resource: Buffer[], ...spans: Buffer[]) =>
  ld(
    1,
    cat(
      ...(resource.length > 0 ? [ld(1, cat(...resource.map((a) => ld(1, a))))] : []),
      ld(2, cat(...spans.map((s) => ld(2, s)))),
    ),
  );
