/** The protobuf wire types the OTLP readers meet (otlp-wire-bounds.ts and otlp-wire-spans.ts). */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const SGROUP = 3;
export const EGROUP = 4;
export const I32 = 5;
