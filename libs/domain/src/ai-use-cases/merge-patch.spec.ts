import { applyMergePatch, changedPaths } from './merge-patch';

describe('applyMergePatch (RFC 7396)', () => {
  // The examples of RFC 7396 appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses a %s key, naming it, instead of dropping it',
    (key) => {
      const patch = JSON.parse(`{"a": {"${key}": {"polluted": true}}}`);
      expect(() => applyMergePatch({ a: {} }, patch, 'changes')).toThrow(
        expect.objectContaining({
          code: 'validation_failed',
          problems: [expect.objectContaining({ field: `changes.a.${key}`, code: 'unsafe_key' })],
        }),
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('leaves its inputs unchanged', () => {
    const target = { a: { b: 1 } };
    const patch = { a: { c: 2 } };
    applyMergePatch(target, patch);
    expect(target).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: 2 } });
  });
});

describe('changedPaths', () => {
  it('names the leaves that differ', () => {
    expect(changedPaths({ a: 1, b: { c: 2, d: [1] } }, { a: 1, b: { c: 3, d: [1, 2] }, e: true })).toEqual([
      'b.c',
      'b.d',
      'e',
    ]);
  });
});
