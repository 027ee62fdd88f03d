import { sha256Hex } from '@gatehouse/domain';
import { EvalsError } from '../evals-error';
import { parseJsonlText } from './dataset-readers';
import { readUploadedDataset, sha256InSlices, sortInSlices } from './dataset-upload';
import { canonicalItemsText, checkItems, summariseFields } from './frozen-dataset';

const lines = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      id: `item-${String((i * 7919) % n).padStart(6, '0')}`,
      input: `Question ${i}`,
      ...(i % 3 === 0 ? { expected: { answer: i } } : {}),
      metadata: { topic: `t${i % 25}`, note: i % 2 === 0 ? 'constructor' : 'x' },
    }),
  ).join('\n');

describe('readUploadedDataset', () => {
  it('gives what parseJsonlText + checkItems + canonicalItemsText + summariseFields give', async () => {
    const text = `${lines(5000)}\n\n`;
    const expectedItems = checkItems(parseJsonlText(text, 'items'), 'items');
    const upload = await readUploadedDataset(text, 'items');
    expect(upload.sha256).toBe(sha256Hex(canonicalItemsText(expectedItems)));
    expect(upload.sourceSha256).toBe(sha256Hex(text));
    expect(upload.items.map((i) => i.id)).toEqual(expectedItems.map((i) => i.id).sort());
    expect(JSON.parse(JSON.stringify(upload.fields))).toEqual(
      JSON.parse(JSON.stringify(summariseFields(expectedItems))),
    );
    // A metadata value named like an Object.prototype member is counted, not looked up.
    expect(upload.fields.metadata.note.values.constructor).toBe(2500);
  });

  it('refuses a line nested past the depth limit before JSON.parse builds it (64 MiB of brackets is gigabytes)', async () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const error = await readUploadedDataset(`${lines(2)}\n${deep}\n`, 'items').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EvalsError);
      expect(error).toMatchObject({ message: expect.stringMatching(/nested more than 64 levels deep/) });
      expect((error as EvalsError).location).toMatchObject({ file: 'items', line: 3, field: '(item)' });
      expect(parse.mock.calls.some(([text]) => text === deep)).toBe(false);
    } finally {
      parse.mockRestore();
    }
  });

  it('lets the event loop run while it works (a timer fires before it finishes)', async () => {
    let turns = 0;
    const ticker = setInterval(() => (turns += 1), 1);
    try {
      await readUploadedDataset(lines(60_000), 'items');
    } finally {
      clearInterval(ticker);
    }
    expect(turns).toBeGreaterThan(0);
  }, 60_000);

  it.each<[string, string, { line?: number; field?: string; reason: RegExp }]>([
    ['bad JSON', '{"id":"a","input":"x"}\n{"id":', { line: 2, reason: /not valid JSON/ }],
    [
      'a duplicate id',
      '{"id":"a","input":"x"}\n\n{"id":"a","input":"y"}',
      { line: 3, field: 'id', reason: /duplicate/ },
    ],
    ['no items', '\n  \n', { reason: /has no items/ }],
    [
      'a __proto__ metadata key',
      '{"id":"a","input":"x","metadata":{"__proto__":{"x":1}}}',
      { line: 1, field: 'metadata.__proto__', reason: /refuses/ },
    ],
    ['a NUL', '{"id":"a","input":"x\\u0000"}', { line: 1, field: 'input', reason: /NUL/ }],
    [
      'nesting 5,000 deep',
      `{"id":"a","input":"x","expected":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      { line: 1, field: '(item)', reason: /more than 64 levels/ },
    ],
  ])('refuses %s, naming the line', async (_name, text, expected) => {
    const error = await readUploadedDataset(text, 'items').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalsError);
    expect((error as EvalsError).location).toMatchObject({
      file: 'items',
      ...(expected.line ? { line: expected.line } : {}),
      ...(expected.field ? { field: expected.field } : {}),
    });
    expect((error as EvalsError).reason).toMatch(expected.reason);
  });
});

describe('sortInSlices', () => {
  it.each([0, 1, 2047, 2048, 2049, 10_000, 33_333])(
    'sorts %i values stably, as Array.sort does',
    async (n) => {
      const values = Array.from({ length: n }, (_, i) => ({ key: (i * 7919) % 997, i }));
      const sorted = await sortInSlices(values, (a, b) => a.key - b.key);
      expect(sorted).toEqual([...values].sort((a, b) => a.key - b.key));
    },
  );
});

describe('sha256InSlices', () => {
  it('hashes as one update would, with surrogate pairs across slice boundaries', async () => {
    const text = `${'a'.repeat((1 << 20) - 1)}😀${'é'.repeat(1 << 20)}😀`;
    expect(await sha256InSlices(text)).toBe(sha256Hex(text));
  });
});
