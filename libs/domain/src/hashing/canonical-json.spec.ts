import { canonicalJson, contentHash } from './canonical-json';

describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
    [{ z: { y: 2, x: 1 } }, '{"z":{"x":1,"y":2}}'],
    [{ a: undefined, b: 0.1 }, '{"b":0.1}'],
    [[undefined, 1e21, -0], '[null,1e+21,0]'],
    [{ é: 'é', e: '\u2028' }, '{"e":"\u2028","é":"é"}'],
    [new Date('2026-01-02T03:04:05.678Z'), '"2026-01-02T03:04:05.678Z"'],
    ['line\nbreak "quoted"', '"line\\nbreak \\"quoted\\""'],
  ])('serialises %p as %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('gives the same hash whatever the key order', () => {
    expect(contentHash({ a: 1, b: { c: [1, 2] } })).toBe(contentHash({ b: { c: [1, 2] }, a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });

  it('refuses values JSON cannot hold, naming where they are', () => {
    expect(() => canonicalJson({ a: { b: Number.NaN } })).toThrow('$.a.b is NaN');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('$.f is a function');
  });
});
