import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { publishedSchemas, serialiseSchema } from './json-schemas';

const schemasDir = join(__dirname, '../../../../evals/schemas');

describe('published JSON Schemas', () => {
  it.each(Object.entries(publishedSchemas()))(
    '%s is committed and up to date (run `npm run schemas`)',
    (file, schema) => {
      expect(readFileSync(join(schemasDir, file), 'utf8')).toBe(serialiseSchema(schema));
    },
  );

  it('lets an editor catch the mistakes the loader catches', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(publishedSchemas()['suite.schema.json']);
    const suite = {
      name: 'triage',
      version: 1,
      dataset: 'enquiries@1',
      target: { type: 'replay', cassette: 'triage' },
      scorers: [{ type: 'classification', labels: ['a', 'b'] }],
    };
    expect(validate(suite)).toBe(true);
    expect(validate({ ...suite, target: { type: 'openai' } })).toBe(false);
    expect(validate({ ...suite, scorers: [{ type: 'pii_leak' }] })).toBe(false);
    expect(validate({ ...suite, extra: 1 })).toBe(false);
    expect(
      validate(
        parse(
          'name: x\nversion: 1\ndataset: d@1\ntarget: {type: replay, cassette: c}\nscorers: [{type: not-includes, values: [x]}]',
        ),
      ),
    ).toBe(true);
  });
});
