import { jsonSafetyProblem, jsonTextTooDeep, MAX_JSON_DEPTH } from './json-safety';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) {
    value = i % 2 === 0 ? [value] : { a: value };
  }
  return value;
};

describe('jsonSafetyProblem', () => {
  it.each<[string, unknown, { field: string; code: string } | null]>([
    ['plain values', { record: { name: 'x', tags: ['a', 'b'], n: 1, ok: true, none: null } }, null],
    ['a string', 'text', null],
    ['a number', 3, null],
    ['nesting at the limit', nested(MAX_JSON_DEPTH), null],
    ['nesting one past the limit', nested(MAX_JSON_DEPTH + 1), { field: '(body)', code: 'too_deep' }],
    ['nesting 5,000 deep', nested(5000), { field: '(body)', code: 'too_deep' }],
    [
      'a __proto__ key (as JSON.parse makes it)',
      JSON.parse('{"changes": {"record": {"__proto__": {"admin": true}}}}'),
      { field: 'changes.record.__proto__', code: 'unsafe_key' },
    ],
    [
      'a constructor key',
      { metadata: { constructor: 'x' } },
      { field: 'metadata.constructor', code: 'unsafe_key' },
    ],
    [
      'a prototype key in a list',
      { a: [{}, { prototype: 1 }] },
      { field: 'a[1].prototype', code: 'unsafe_key' },
    ],
    ['a NUL in a value', { record: { name: 'a\u0000b' } }, { field: 'record.name', code: 'nul_character' }],
    ['a NUL in a list entry', { tags: ['ok', '\u0000'] }, { field: 'tags[1]', code: 'nul_character' }],
    ['a NUL in a key', { ['a\u0000']: 1 }, { field: 'a\u0000', code: 'nul_character' }],
    ['a NUL in the value itself', 'a\u0000', { field: '(body)', code: 'nul_character' }],
  ])('%s', (_name, value, expected) => {
    const problem = jsonSafetyProblem(value);
    expect(problem && { field: problem.field, code: problem.code }).toEqual(expected);
  });

  it('names the limit when refusing deep nesting, and takes another root name', () => {
    expect(jsonSafetyProblem(nested(100), 'items')).toEqual({
      field: 'items',
      code: 'too_deep',
      message: `is nested more than ${MAX_JSON_DEPTH} levels deep (the limit is ${MAX_JSON_DEPTH})`,
    });
  });
});

describe('jsonTextTooDeep', () => {
  it.each<[string, string, boolean]>([
    ['flat JSON', '{"a": [1, 2, {"b": null}]}', false],
    ['nesting at the limit', `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`, false],
    ['one past the limit', `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`, true],
    [
      'objects past the limit',
      `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`,
      true,
    ],
    ['brackets inside a string', JSON.stringify({ note: '['.repeat(500) }), false],
    ['an escaped quote inside a string', JSON.stringify({ note: `"${'{'.repeat(500)}` }), false],
    ['an escaped backslash ending a string', `{"a": "\\\\", "b": ${'['.repeat(MAX_JSON_DEPTH)}]}`, true],
    ['unbalanced closers', `${']'.repeat(1000)}${'['.repeat(MAX_JSON_DEPTH)}`, false],
    // Past the limit only when both kinds of bracket are counted together.
    ['arrays and objects one past the limit', JSON.stringify(nested(MAX_JSON_DEPTH + 1)), true],
    ['arrays and objects at the limit', JSON.stringify(nested(MAX_JSON_DEPTH)), false],
    // More brackets than the limit, none deep: the count alone does not decide.
    [
      'many shallow siblings',
      JSON.stringify(Array.from({ length: 3 * MAX_JSON_DEPTH }, () => ({ a: [] }))),
      false,
    ],
  ])('%s', (_name, text, expected) => {
    expect(jsonTextTooDeep(text)).toBe(expected);
  });

  it('agrees with jsonSafetyProblem on parsed nesting', () => {
    for (const depth of [MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1]) {
      const text = JSON.stringify(nested(depth));
      expect(jsonTextTooDeep(text)).toBe(jsonSafetyProblem(JSON.parse(text)) !== null);
    }
  });
});
