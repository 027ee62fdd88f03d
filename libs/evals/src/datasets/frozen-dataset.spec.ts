import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvalsError } from '../evals-error';
import { readDatasetFile } from './dataset-readers';
import { freezeDataset, openFrozenDataset, parseDatasetRef } from './frozen-dataset';

describe('datasets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-datasets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const freeze = (file: string, name = 'triage') =>
    freezeDataset(file, { name, root: join(dir, 'datasets'), frozenWith: 'test' });
  const jsonl = (...items: object[]) => items.map((i) => JSON.stringify(i)).join('\n') + '\n';

  it('freezes a JSONL file into a hashed, versioned directory and loads it back', async () => {
    const file = write(
      'a.jsonl',
      jsonl(
        {
          id: 'b',
          input: 'Where is my payment?',
          expected: 'universal_credit',
          metadata: { age_band: '65+' },
        },
        { id: 'a', input: [{ role: 'user', content: 'Hi' }] },
      ),
    );
    const { manifest, created } = await freeze(file);
    expect(created).toBe(true);
    expect(manifest).toMatchObject({
      name: 'triage',
      version: 1,
      count: 2,
      fields: { inputs: { text: 1, chat: 1 }, metadata: { age_band: { count: 1, values: { '65+': 1 } } } },
    });
    const frozen = await openFrozenDataset(join(dir, 'datasets'), 'triage', 1);
    const ids: string[] = [];
    for await (const item of frozen.items()) {
      ids.push(item.id);
    }
    expect(ids).toEqual(['a', 'b']); // canonical order
  });

  it('gives the same hash whatever the order and formatting, and reuses the version', async () => {
    const first = await freeze(
      write('a.jsonl', jsonl({ id: 'x', input: 'one', metadata: { k: 1, j: 2 } }, { id: 'y', input: 'two' })),
    );
    const second = await freeze(
      write(
        'b.jsonl',
        `{"input":"two","id":"y"}\n\n{ "metadata": {"j":2,"k":1}, "input": "one", "id": "x" }\n`,
      ),
    );
    expect(second).toMatchObject({ created: false, manifest: { version: 1, sha256: first.manifest.sha256 } });
    const third = await freeze(
      write('c.jsonl', jsonl({ id: 'x', input: 'one, edited' }, { id: 'y', input: 'two' })),
    );
    expect(third).toMatchObject({ created: true, manifest: { version: 2 } });
    expect(third.manifest.sha256).not.toBe(first.manifest.sha256);
  });

  it('reads CSV with metadata columns and JSON-looking cells', async () => {
    const file = write(
      'a.csv',
      'id,input,expected,metadata.age_band,metadata.urgent\nq1,"Can I get help, please?",pip,25-44,true\nq2,"Line one\nline two","[""a"",""b""]",65+,false\n',
    );
    const items = [];
    for await (const { item, line } of readDatasetFile(file)) {
      items.push({ item, line });
    }
    expect(items).toEqual([
      {
        line: 2,
        item: {
          id: 'q1',
          input: 'Can I get help, please?',
          expected: 'pip',
          metadata: { age_band: '25-44', urgent: true },
        },
      },
      {
        line: 4,
        item: {
          id: 'q2',
          input: 'Line one\nline two',
          expected: ['a', 'b'],
          metadata: { age_band: '65+', urgent: false },
        },
      },
    ]);
  });

  it.each<[string, string, string, RegExp]>([
    [
      'bad JSON',
      'bad.jsonl',
      '{"id":"a","input":"x"}\n{"id": "b", input}\n',
      /bad\.jsonl:2: is not valid JSON/,
    ],
    ['a missing id', 'noid.jsonl', '{"input":"x"}\n', /noid\.jsonl:1 id: is required/],
    [
      'a duplicate id',
      'dup.jsonl',
      '{"id":"a","input":"x"}\n{"id":"b","input":"y"}\n{"id":"a","input":"z"}\n',
      /dup\.jsonl:3 id: duplicate id "a" \(first used on line 1\)/,
    ],
    [
      'an unknown field',
      'extra.jsonl',
      '{"id":"a","input":"x","lable":"y"}\n',
      /extra\.jsonl:1 lable: unknown field "lable"/,
    ],
    [
      'a bad input',
      'input.jsonl',
      '{"id":"a","input":42}\n',
      /input\.jsonl:1 input: must be text or a non-empty list/,
    ],
    [
      'a bad chat role',
      'chat.jsonl',
      '{"id":"a","input":[{"role":"robot","content":"x"}]}\n',
      /chat\.jsonl:1 input/,
    ],
    ['an empty file', 'empty.jsonl', '\n', /empty\.jsonl: has no items/],
    ['a CSV with a ragged row', 'ragged.csv', 'id,input\na,x\nb,y,z\n', /ragged\.csv:3: is not valid CSV/],
    ['an unsupported extension', 'data.txt', 'x', /data\.txt: must be a \.jsonl or \.csv file/],
  ])('refuses %s, naming file and line, and writes nothing', async (_name, fileName, text, message) => {
    const file = write(fileName, text);
    await expect(freeze(file)).rejects.toThrow(message);
    await expect(freeze(file)).rejects.toBeInstanceOf(EvalsError);
    expect(readdirSync(dir)).toEqual([fileName]);
  });

  it('refuses a frozen dataset whose items were edited', async () => {
    const { directory } = await freeze(write('a.jsonl', jsonl({ id: 'a', input: 'x' })));
    const itemsFile = join(directory, 'items.jsonl');
    writeFileSync(itemsFile, readFileSync(itemsFile, 'utf8').replace('"x"', '"y"'));
    await expect(openFrozenDataset(join(dir, 'datasets'), 'triage', 1)).rejects.toThrow(
      /items\.jsonl: sha256 is [0-9a-f]{64} but the manifest says/,
    );
  });

  it('names the versions that exist when one is missing', async () => {
    await freeze(write('a.jsonl', jsonl({ id: 'a', input: 'x' })));
    await expect(openFrozenDataset(join(dir, 'datasets'), 'triage', 3)).rejects.toThrow(
      'dataset triage@3 does not exist (versions: 1)',
    );
    await expect(openFrozenDataset(join(dir, 'datasets'), 'other', 1)).rejects.toThrow(
      /gatehouse dataset freeze/,
    );
  });

  it('parses references', () => {
    expect(parseDatasetRef('benefits-enquiries@12')).toEqual({ name: 'benefits-enquiries', version: 12 });
    expect(() => parseDatasetRef('benefits')).toThrow('not a dataset reference');
    expect(() => parseDatasetRef('Bad Name@1')).toThrow('not a dataset reference');
  });
});
