import { z } from 'zod';
import { fieldPath, zodProblems } from './zod-problems';

describe('zodProblems', () => {
  it('names every bad field by its path, unknown keys included', () => {
    const schema = z.strictObject({
      name: z.string().max(3),
      items: z.array(z.strictObject({ n: z.number() })),
    });
    const result = schema.safeParse({ name: 'long', items: [{ n: 1 }, { n: 'x', extra: true }], stray: 1 });
    if (result.success) {
      throw new Error('expected the parse to fail');
    }
    const problems = zodProblems(result.error, 'record');
    expect(problems.map((p) => p.field).sort()).toEqual([
      'record.items[1].extra',
      'record.items[1].n',
      'record.name',
      'record.stray',
    ]);
    expect(problems.find((p) => p.field === 'record.stray')).toEqual({
      field: 'record.stray',
      message: 'is not a known field',
      code: 'unknown_field',
    });
  });

  it('formats paths', () => {
    expect(fieldPath([0, 'input'])).toBe('[0].input');
    expect(fieldPath([])).toBe('(body)');
    expect(fieldPath(['a', 2, 'b'], 'x')).toBe('x.a[2].b');
  });
});
