import { type JsonValue } from '@gatehouse/domain';
import { type DatasetItem } from '../datasets/dataset-item';
import { EvalsError } from '../evals-error';
import { type ScorerConfigOf } from '../suites/suite-schema';
import {
  classificationScorer,
  costScorer,
  equalsScorer,
  extractJson,
  includesScorer,
  jsonSchemaScorer,
  jsonValidScorer,
  labelFinder,
  latencyScorer,
  numericScorer,
  regexScorer,
  similarityScorer,
  startsWithScorer,
  tokensScorer,
} from './deterministic';
import { type Score, type ScoreContext } from './scorer';

type Call = ScoreContext['call'];

/** A hand-built scoring context: an item with `expected` (absent when undefined) and the target's answer. */
function context(
  output: string,
  expected?: JsonValue,
  call: Partial<Call> = {},
  item: Partial<DatasetItem> = {},
): ScoreContext {
  return {
    item: {
      id: 'item-1',
      input: 'What benefit is this?',
      ...(expected === undefined ? {} : { expected }),
      ...item,
    },
    prompt: 'What benefit is this?',
    output,
    call: { latencyMs: 250, inputTokens: 100, outputTokens: 50, costUsd: 0.0001, ...call },
    signal: new AbortController().signal,
  };
}

const PASS: Score = { value: 1, passed: true };
const FAIL: Score = { value: 0, passed: false };
const UNSCORED: Score = { value: null, passed: null };

/** The score's verdict without its explanation. */
const verdict = (score: Score): Score => ({ value: score.value, passed: score.passed });

describe('equalsScorer', () => {
  const config = (overrides: Partial<ScorerConfigOf<'equals'>> = {}): ScorerConfigOf<'equals'> => ({
    type: 'equals',
    weight: 1,
    normalise: true,
    ...overrides,
  });

  it.each<[string, Partial<ScorerConfigOf<'equals'>>, string, JsonValue | undefined, Score]>([
    ['exact text', {}, 'yes', 'yes', PASS],
    ['normalised: case, quotes, trailing punctuation', {}, "  'Yes.' ", 'yes', PASS],
    ['normalised: inner whitespace', {}, 'universal   credit', 'Universal Credit', PASS],
    ['different text', {}, 'no', 'yes', FAIL],
    ['not normalised: case matters', { normalise: false }, 'Yes', 'yes', FAIL],
    ['not normalised: whitespace matters', { normalise: false }, 'yes ', 'yes', FAIL],
    ['not normalised: identical', { normalise: false }, 'Yes', 'Yes', PASS],
    ['any of several references', {}, 'Y', ['yes', 'y'], PASS],
    ['none of several references', {}, 'no', ['yes', 'y'], FAIL],
    ['config value overrides the item', { value: 'ok' }, 'OK', 'not ok', PASS],
    ['config value, other answer', { value: 'ok' }, 'not ok', 'not ok', FAIL],
    ['an expectedPath into the item', { expectedPath: 'answer' }, '42', { answer: '42' }, PASS],
    ['a nested expectedPath', { expectedPath: 'a.b' }, 'x', { a: { b: 'x' } }, PASS],
    ['no expected value', {}, 'yes', undefined, UNSCORED],
    ['a non-string expected value', {}, '42', 42, UNSCORED],
    ['a missing expectedPath', { expectedPath: 'answer' }, '42', { other: '42' }, UNSCORED],
  ])('%s', (_, overrides, output, expected, result) => {
    expect(verdict(equalsScorer(config(overrides))(context(output, expected)))).toEqual(result);
  });

  it('explains a failure with every reference', () => {
    expect(equalsScorer(config())(context('no', ['yes', 'y']))).toEqual({
      ...FAIL,
      explanation: 'expected "yes" or "y"',
    });
  });

  it('explains an unscored item', () => {
    expect(equalsScorer(config())(context('no'))).toEqual({
      ...UNSCORED,
      explanation: 'the item has no expected text to compare with',
    });
  });
});

describe('includesScorer', () => {
  const config = (overrides: Partial<ScorerConfigOf<'includes'>> = {}): ScorerConfigOf<'includes'> => ({
    type: 'includes',
    weight: 1,
    mode: 'all',
    caseSensitive: false,
    ...overrides,
  });
  const output = 'Apply for Housing Benefit and a Council Tax Reduction.';

  it.each<
    [string, Partial<ScorerConfigOf<'includes'>>, JsonValue | undefined, Score & { explanation: string }]
  >([
    [
      'all found (any case)',
      { values: ['housing benefit', 'council tax'] },
      undefined,
      { ...PASS, explanation: 'found "housing benefit", "council tax"' },
    ],
    [
      'all: one missing',
      { values: ['housing benefit', 'pension credit'] },
      undefined,
      { ...FAIL, explanation: 'missing "pension credit"' },
    ],
    [
      'all: several missing',
      { values: ['pip', 'housing benefit', 'pension credit'] },
      undefined,
      { ...FAIL, explanation: 'missing "pip", "pension credit"' },
    ],
    [
      'any: one found',
      { values: ['pension credit', 'council tax'], mode: 'any' },
      undefined,
      { ...PASS, explanation: 'found "council tax"' },
    ],
    [
      'any: none found',
      { values: ['pip', 'pension credit'], mode: 'any' },
      undefined,
      { ...FAIL, explanation: 'none of "pip", "pension credit" found' },
    ],
    [
      'case sensitive: wrong case',
      { values: ['housing benefit'], caseSensitive: true },
      undefined,
      { ...FAIL, explanation: 'missing "housing benefit"' },
    ],
    [
      'case sensitive: right case',
      { values: ['Housing Benefit'], caseSensitive: true },
      undefined,
      { ...PASS, explanation: 'found "Housing Benefit"' },
    ],
    [
      'upper-case needle, case insensitive',
      { values: ['HOUSING'] },
      undefined,
      { ...PASS, explanation: 'found "HOUSING"' },
    ],
    [
      'phrases from the item',
      {},
      ['council tax', 'housing benefit'],
      { ...PASS, explanation: 'found "council tax", "housing benefit"' },
    ],
    ['one phrase from the item', {}, 'council tax', { ...PASS, explanation: 'found "council tax"' }],
    [
      'phrases from an expectedPath',
      { expectedPath: 'facts' },
      { facts: ['pip'] },
      { ...FAIL, explanation: 'missing "pip"' },
    ],
    [
      'config values override the item',
      { values: ['council tax'] },
      ['pip'],
      { ...PASS, explanation: 'found "council tax"' },
    ],
    [
      'no expected phrases',
      {},
      undefined,
      { ...UNSCORED, explanation: 'the item has no expected phrases to look for' },
    ],
    [
      'an empty list of phrases',
      {},
      [],
      { ...UNSCORED, explanation: 'the item has no expected phrases to look for' },
    ],
    [
      'a non-string expected value',
      {},
      { a: 1 },
      { ...UNSCORED, explanation: 'the item has no expected phrases to look for' },
    ],
  ])('%s', (_, overrides, expected, result) => {
    expect(includesScorer(config(overrides))(context(output, expected))).toEqual(result);
  });
});

describe('regexScorer', () => {
  const config = (pattern: string, flags = ''): ScorerConfigOf<'regex'> => ({
    type: 'regex',
    weight: 1,
    pattern,
    flags,
  });

  it.each<[string, string, string, Score & { explanation: string }]>([
    ['^\\d{3}$', '', '123', { ...PASS, explanation: 'matched "123"' }],
    ['^\\d{3}$', '', '1234', { ...FAIL, explanation: 'no match for /^\\d{3}$/' }],
    ['yes', '', 'YES', { ...FAIL, explanation: 'no match for /yes/' }],
    ['yes', 'i', 'YES', { ...PASS, explanation: 'matched "YES"' }],
    ['^b', '', 'a\nb', { ...FAIL, explanation: 'no match for /^b/' }],
    ['^b', 'm', 'a\nb', { ...PASS, explanation: 'matched "b"' }],
    ['a.b', '', 'a\nb', { ...FAIL, explanation: 'no match for /a.b/' }],
    ['a.b', 's', 'a\nb', { ...PASS, explanation: 'matched "a\\nb"' }],
    ['ref [A-Z]{2}\\d+', '', 'Your ref AB123, thanks', { ...PASS, explanation: 'matched "ref AB123"' }],
  ])('/%s/%s on %j', (pattern, flags, output, result) => {
    expect(regexScorer(config(pattern, flags))(context(output))).toEqual(result);
  });

  it('quotes at most 80 characters of the match', () => {
    const score = regexScorer(config('x+'))(context('x'.repeat(200)));
    expect(score.explanation).toBe(`matched "${'x'.repeat(80)}"`);
  });

  it('gives the same verdict when reused (no state between items)', () => {
    const score = regexScorer(config('yes', 'i'));
    expect([score(context('yes')), score(context('yes')), score(context('no'))].map(verdict)).toEqual([
      PASS,
      PASS,
      FAIL,
    ]);
  });
});

describe('startsWithScorer', () => {
  const config = (overrides: Partial<ScorerConfigOf<'starts_with'>> = {}): ScorerConfigOf<'starts_with'> => ({
    type: 'starts_with',
    weight: 1,
    caseSensitive: false,
    ...overrides,
  });

  it.each<[string, Partial<ScorerConfigOf<'starts_with'>>, string, JsonValue | undefined, Score]>([
    ['same start, any case', { value: 'Yes' }, 'yes, you can apply', undefined, PASS],
    ['leading whitespace ignored', { value: 'Yes' }, '  \n Yes, you can', undefined, PASS],
    ['case sensitive, wrong case', { value: 'Yes', caseSensitive: true }, 'yes, you can', undefined, FAIL],
    ['case sensitive, right case', { value: 'Yes', caseSensitive: true }, 'Yes, you can', undefined, PASS],
    ['another start', { value: 'Yes' }, 'No, you cannot', undefined, FAIL],
    ['the prefix later in the text', { value: 'Yes' }, 'Well, yes', undefined, FAIL],
    ['any of the item’s prefixes', {}, 'No.', ['Yes', 'No'], PASS],
    ['an expectedPath', { expectedPath: 'opening' }, 'Dear Sam', { opening: 'dear' }, PASS],
    ['config value overrides the item', { value: 'Yes' }, 'No', 'No', FAIL],
    ['no expected prefix', {}, 'Yes', undefined, UNSCORED],
  ])('%s', (_, overrides, output, expected, result) => {
    expect(verdict(startsWithScorer(config(overrides))(context(output, expected)))).toEqual(result);
  });

  it('explains its verdicts', () => {
    expect(startsWithScorer(config())(context('Maybe', ['Yes', 'No']))).toEqual({
      ...FAIL,
      explanation: 'does not start with "Yes" or "No"',
    });
    expect(startsWithScorer(config())(context('Maybe'))).toEqual({
      ...UNSCORED,
      explanation: 'the item has no expected prefix',
    });
  });
});

describe('extractJson and jsonValidScorer', () => {
  it.each<[string, string, unknown]>([
    ['an object', '{"a": 1}', { a: 1 }],
    ['an array with whitespace around it', '  [1, 2]\n', [1, 2]],
    ['a string', '"just text"', 'just text'],
    ['null', 'null', null],
    ['a ```json fenced block', '```json\n{"a": 1}\n```', { a: 1 }],
    [
      'a fenced block with prose around it',
      'Here you go:\n```json\n{"route": "pip"}\n```\nDone.',
      { route: 'pip' },
    ],
    ['a fenced block without a language', '```\n{"a": 1}\n```', { a: 1 }],
    ['a ```JSON fenced block (any case)', '```JSON\n[true]\n```', [true]],
    ['the first of two fenced blocks', '```json\n{"a": 1}\n```\nand\n```json\n{"a": 2}\n```', { a: 1 }],
  ])('finds %s', (_, output, value) => {
    expect(extractJson(output)).toEqual({ ok: true, value });
    expect(jsonValidScorer()(context(output))).toEqual(PASS);
  });

  it.each<[string, string]>([
    ['prose', 'not json'],
    ['an empty answer', ''],
    ['a trailing comma', '{"a": 1,}'],
    ['single quotes', "{'a': 1}"],
    ['a broken fenced block', '```json\n{bad}\n```'],
    ['JSON followed by prose, unfenced', '{"a": 1} and some words'],
  ])('rejects %s', (_, output) => {
    const extracted = extractJson(output);
    expect(extracted.ok).toBe(false);
    const score = jsonValidScorer()(context(output));
    expect(verdict(score)).toEqual(FAIL);
    expect(score.explanation).toMatch(/^not valid JSON: \S/);
  });
});

describe('jsonSchemaScorer', () => {
  const config = (schema: Record<string, unknown>, name?: string): ScorerConfigOf<'json_schema'> => ({
    type: 'json_schema',
    weight: 1,
    schema,
    name,
  });
  const routeSchema = {
    type: 'object',
    required: ['route'],
    properties: {
      route: { type: 'string', enum: ['pip', 'universal_credit'] },
      confidence: { type: 'number' },
    },
    additionalProperties: false,
  };

  it.each<[string, string, Score & { explanation?: string }]>([
    ['a valid object', '{"route": "pip"}', PASS],
    ['a valid object with an optional field', '{"route": "pip", "confidence": 0.9}', PASS],
    ['a valid object in a ```json block', 'Answer:\n```json\n{"route": "universal_credit"}\n```', PASS],
    [
      'a value outside the enum',
      '{"route": "housing"}',
      { ...FAIL, explanation: 'output/route must be equal to one of the allowed values' },
    ],
    [
      'a missing required field',
      '{}',
      { ...FAIL, explanation: "output must have required property 'route'" },
    ],
    [
      'every error at once',
      '{"confidence": "high", "extra": 1}',
      {
        ...FAIL,
        explanation:
          "output must have required property 'route', output must NOT have additional properties, output/confidence must be number",
      },
    ],
    ['the wrong type', '["pip"]', { ...FAIL, explanation: 'output must be object' }],
  ])('%s', (_, output, result) => {
    expect(jsonSchemaScorer(config(routeSchema))(context(output))).toEqual(result);
  });

  it('fails an answer that is not JSON', () => {
    const score = jsonSchemaScorer(config(routeSchema))(context('the route is pip'));
    expect(verdict(score)).toEqual(FAIL);
    expect(score.explanation).toMatch(/^not valid JSON: /);
  });

  it.each<[string, Score]>([
    ['"someone@example.com"', PASS],
    ['"not an email"', FAIL],
  ])('checks formats: %s', (output, result) => {
    expect(verdict(jsonSchemaScorer(config({ type: 'string', format: 'email' }))(context(output)))).toEqual(
      result,
    );
  });

  it.each<[string, Record<string, unknown>, string | undefined, RegExp]>([
    [
      'an unknown type',
      { type: 'not-a-type' },
      undefined,
      /^scorer json_schema schema: is not a valid JSON Schema \(.+\)$/,
    ],
    [
      'a non-array required, named scorer',
      { type: 'object', required: 'route' },
      'shape',
      /^scorer shape schema: is not a valid JSON Schema \(.+\)$/,
    ],
  ])('throws an EvalsError for an invalid schema: %s', (_, schema, name, message) => {
    expect(() => jsonSchemaScorer(config(schema, name))).toThrow(EvalsError);
    expect(() => jsonSchemaScorer(config(schema, name))).toThrow(message);
  });
});

describe('numericScorer', () => {
  const config = (overrides: Partial<ScorerConfigOf<'numeric'>> = {}): ScorerConfigOf<'numeric'> => ({
    type: 'numeric',
    weight: 1,
    tolerance: 0,
    relative: false,
    ...overrides,
  });

  it.each<
    [
      string,
      Partial<ScorerConfigOf<'numeric'>>,
      string,
      JsonValue | undefined,
      Score & { explanation: string },
    ]
  >([
    ['exact', {}, 'The answer is 42.', 42, { ...PASS, explanation: '42 ≈ 42' }],
    ['off by one, no tolerance', {}, '41', 42, { ...FAIL, explanation: '41 is not within 0 of 42' }],
    ['absolute tolerance: at the boundary', { tolerance: 1 }, '41', 42, { ...PASS, explanation: '41 ≈ 42' }],
    ['absolute tolerance: above', { tolerance: 1 }, '43', 42, { ...PASS, explanation: '43 ≈ 42' }],
    [
      'absolute tolerance: just outside',
      { tolerance: 1 },
      '40.5',
      42,
      { ...FAIL, explanation: '40.5 is not within 1 of 42' },
    ],
    [
      'relative tolerance: at the boundary',
      { tolerance: 0.1, relative: true },
      '180',
      200,
      { ...PASS, explanation: '180 ≈ 200' },
    ],
    [
      'relative tolerance: above',
      { tolerance: 0.1, relative: true },
      '220',
      200,
      { ...PASS, explanation: '220 ≈ 200' },
    ],
    [
      'relative tolerance: just outside',
      { tolerance: 0.1, relative: true },
      '179',
      200,
      { ...FAIL, explanation: '179 is not within 20 of 200' },
    ],
    [
      'relative tolerance of a negative target',
      { tolerance: 0.1, relative: true },
      '-54',
      -50,
      { ...PASS, explanation: '-54 ≈ -50' },
    ],
    [
      'relative tolerance of a negative target, outside',
      { tolerance: 0.1, relative: true },
      '-56',
      -50,
      { ...FAIL, explanation: '-56 is not within 5 of -50' },
    ],
    [
      'relative tolerance of zero is exact',
      { tolerance: 0.5, relative: true },
      '0.001',
      0,
      { ...FAIL, explanation: '0.001 is not within 0 of 0' },
    ],
    [
      'thousands and money in the output',
      {},
      'You will get £1,234.50 a month',
      1234.5,
      { ...PASS, explanation: '1234.5 ≈ 1234.5' },
    ],
    ['an exponent in the output', {}, '2e3', 2000, { ...PASS, explanation: '2000 ≈ 2000' }],
    [
      'the expected number in a string',
      {},
      '1234.5',
      '£1,234.50',
      { ...PASS, explanation: '1234.5 ≈ 1234.5' },
    ],
    [
      'an expectedPath',
      { expectedPath: 'amount' },
      '£12.50',
      { amount: 12.5 },
      { ...PASS, explanation: '12.5 ≈ 12.5' },
    ],
    [
      'the first number of the output counts',
      {},
      '41 or 42',
      42,
      { ...FAIL, explanation: '41 is not within 0 of 42' },
    ],
    ['no number in the output', {}, 'I do not know', 42, { ...FAIL, explanation: 'no number in the output' }],
    [
      'no expected value',
      {},
      '42',
      undefined,
      { ...UNSCORED, explanation: 'the item has no expected number' },
    ],
    [
      'an expected string without a number',
      {},
      '42',
      'forty-two',
      { ...UNSCORED, explanation: 'the item has no expected number' },
    ],
    ['an expected boolean', {}, '1', true, { ...UNSCORED, explanation: 'the item has no expected number' }],
  ])('%s', (_, overrides, output, expected, result) => {
    expect(numericScorer(config(overrides))(context(output, expected))).toEqual(result);
  });
});

describe('similarityScorer', () => {
  const config = (overrides: Partial<ScorerConfigOf<'similarity'>> = {}): ScorerConfigOf<'similarity'> => ({
    type: 'similarity',
    weight: 1,
    method: 'token_f1',
    threshold: 0.8,
    ...overrides,
  });

  it.each<[string, Partial<ScorerConfigOf<'similarity'>>, string, JsonValue, number, boolean, string]>([
    [
      'token F1 at the threshold passes',
      {},
      'Universal Credit claim',
      'universal credit',
      0.8,
      true,
      'token_f1 0.800 (pass at 0.8)',
    ],
    [
      'token F1 below the threshold fails',
      {},
      'Paris, France',
      'paris',
      2 / 3,
      false,
      'token_f1 0.667 (pass at 0.8)',
    ],
    ['identical text', {}, 'Universal Credit', 'universal credit', 1, true, 'token_f1 1.000 (pass at 0.8)'],
    ['nothing shared', {}, 'pip', 'universal credit', 0, false, 'token_f1 0.000 (pass at 0.8)'],
    [
      'the best of several references',
      {},
      'Paris, France',
      ['london', 'paris'],
      2 / 3,
      false,
      'token_f1 0.667 (pass at 0.8)',
    ],
    [
      'levenshtein',
      { method: 'levenshtein', threshold: 0.5 },
      'kitten',
      'sitting',
      4 / 7,
      true,
      'levenshtein 0.571 (pass at 0.5)',
    ],
    [
      'levenshtein below the threshold',
      { method: 'levenshtein', threshold: 0.6 },
      'kitten',
      'sitting',
      4 / 7,
      false,
      'levenshtein 0.571 (pass at 0.6)',
    ],
    [
      'an expectedPath',
      { expectedPath: 'summary', threshold: 0.5 },
      'cat sat on big red mat',
      { summary: 'cat mat' },
      0.5,
      true,
      'token_f1 0.500 (pass at 0.5)',
    ],
  ])('%s', (_, overrides, output, expected, value, passed, explanation) => {
    const score = similarityScorer(config(overrides))(context(output, expected));
    expect(score.value).toBeCloseTo(value, 12);
    expect(score).toEqual({ value: score.value, passed, explanation });
  });

  it.each<[string, string | undefined, JsonValue | undefined]>([
    ['no expected value', undefined, undefined],
    ['a non-string expected value', undefined, 3],
    ['a missing expectedPath', 'summary', { other: 'x' }],
  ])('is unscored with %s', (_, expectedPath, expected) => {
    const scorer = similarityScorer(config({ expectedPath }));
    expect(scorer(context('anything', expected))).toEqual({
      ...UNSCORED,
      explanation: 'the item has no expected text',
    });
  });
});

describe('labelFinder', () => {
  const labels = ['universal_credit', 'pip', 'housing_benefit', 'a.b'];

  it.each<[string, string, string | null]>([
    ['the exact label', 'pip', 'pip'],
    ['the exact label, another case and punctuation', 'PIP.', 'pip'],
    ['the label in words', 'Universal Credit', 'universal_credit'],
    ['the label with a hyphen', 'universal-credit', 'universal_credit'],
    ['the label in quotes', '"housing benefit"', 'housing_benefit'],
    ['the label and an explanation', 'Universal Credit - the enquiry is about payments', 'universal_credit'],
    ['the label inside a sentence', 'Label: pip. It is about disability costs.', 'pip'],
    ['two labels mentioned', 'Either pip or universal credit', null],
    ['no label mentioned', 'I do not know', null],
    ['a label inside a longer word', 'The pipes are frozen', null],
    ['regex characters in a label are literal', 'axb', null],
    ['a label with a dot', 'a.b', 'a.b'],
    ['an empty answer', '', null],
  ])('normalised: %s', (_, output, label) => {
    expect(labelFinder(labels, true)(output)).toBe(label);
  });

  it.each<[string, string, string | null]>([
    ['the exact label', 'pip', 'pip'],
    ['surrounding whitespace', '  pip\n', 'pip'],
    ['another case', 'PIP', null],
    ['the label in words', 'Universal Credit', null],
    ['the label and an explanation', 'pip because of the disability', null],
  ])('not normalised: %s', (_, output, label) => {
    expect(labelFinder(labels, false)(output)).toBe(label);
  });
});

describe('classificationScorer', () => {
  const config = (
    overrides: Partial<ScorerConfigOf<'classification'>> = {},
  ): ScorerConfigOf<'classification'> => ({
    type: 'classification',
    weight: 1,
    labels: ['universal_credit', 'pip', 'housing_benefit'],
    normalise: true,
    ...overrides,
  });

  it.each<[string, Partial<ScorerConfigOf<'classification'>>, string, JsonValue | undefined, Score]>([
    [
      'the right label',
      {},
      'universal_credit',
      'universal_credit',
      { value: 1, passed: true, label: 'universal_credit', expectedLabel: 'universal_credit' },
    ],
    [
      'the right label in words',
      {},
      'Universal Credit',
      'universal_credit',
      { value: 1, passed: true, label: 'universal_credit', expectedLabel: 'universal_credit' },
    ],
    [
      'an expected value in words',
      {},
      'universal_credit',
      'Universal Credit',
      { value: 1, passed: true, label: 'universal_credit', expectedLabel: 'universal_credit' },
    ],
    [
      'the label with an explanation',
      {},
      'PIP: the enquiry is about disability costs',
      'pip',
      { value: 1, passed: true, label: 'pip', expectedLabel: 'pip' },
    ],
    [
      'an expectedPath',
      { expectedPath: 'route' },
      'pip',
      { route: 'pip' },
      { value: 1, passed: true, label: 'pip', expectedLabel: 'pip' },
    ],
    [
      'the wrong label',
      {},
      'pip',
      'universal_credit',
      {
        value: 0,
        passed: false,
        label: 'pip',
        expectedLabel: 'universal_credit',
        explanation: 'answered pip, expected universal_credit',
      },
    ],
    [
      'two labels',
      {},
      'It could be pip or housing benefit',
      'pip',
      {
        value: 0,
        passed: false,
        label: null,
        expectedLabel: 'pip',
        explanation: 'no single known label in the answer (expected pip)',
      },
    ],
    [
      'no label',
      {},
      'I cannot tell',
      'pip',
      {
        value: 0,
        passed: false,
        label: null,
        expectedLabel: 'pip',
        explanation: 'no single known label in the answer (expected pip)',
      },
    ],
    [
      'not normalised: the label in words is no label',
      { normalise: false },
      'Universal Credit',
      'universal_credit',
      {
        value: 0,
        passed: false,
        label: null,
        expectedLabel: 'universal_credit',
        explanation: 'no single known label in the answer (expected universal_credit)',
      },
    ],
    [
      'missing expected',
      {},
      'pip',
      undefined,
      { value: null, passed: null, explanation: 'the item has no expected label' },
    ],
    [
      'a non-string expected',
      {},
      'pip',
      ['pip'],
      { value: null, passed: null, explanation: 'the item has no expected label' },
    ],
  ])('%s', (_, overrides, output, expected, result) => {
    expect(classificationScorer(config(overrides))(context(output, expected))).toEqual(result);
  });
});

describe('latencyScorer, tokensScorer and costScorer', () => {
  const latency = latencyScorer({ type: 'latency', weight: 1, maxMs: 1000 });
  const tokens = tokensScorer({ type: 'tokens', weight: 1, maxOutputTokens: 500 });
  const cost = costScorer({ type: 'cost', weight: 1, maxUsd: 0.001 });

  it.each<[string, Partial<Call>, Score & { explanation: string }]>([
    ['well under', { latencyMs: 120.4 }, { ...PASS, explanation: '120 ms' }],
    ['at the limit', { latencyMs: 1000 }, { ...PASS, explanation: '1000 ms' }],
    ['over', { latencyMs: 1500.6 }, { ...FAIL, explanation: '1501 ms > 1000 ms' }],
  ])('latency %s', (_, call, result) => {
    expect(latency(context('answer', undefined, call))).toEqual(result);
  });

  it.each<[string, Partial<Call>, Score & { explanation: string }]>([
    ['under', { outputTokens: 20 }, { ...PASS, explanation: '20 output tokens' }],
    ['at the limit', { outputTokens: 500 }, { ...PASS, explanation: '500 output tokens' }],
    ['over', { outputTokens: 501 }, { ...FAIL, explanation: '501 output tokens > 500' }],
    [
      'unknown usage',
      { inputTokens: null, outputTokens: null },
      { ...UNSCORED, explanation: 'the target did not report token usage' },
    ],
  ])('tokens %s', (_, call, result) => {
    expect(tokens(context('answer', undefined, call))).toEqual(result);
  });

  it.each<[string, Partial<Call>, Score & { explanation: string }]>([
    ['under', { costUsd: 0.0002 }, { ...PASS, explanation: '$0.000200' }],
    ['at the limit', { costUsd: 0.001 }, { ...PASS, explanation: '$0.001000' }],
    ['free', { costUsd: 0 }, { ...PASS, explanation: '$0.000000' }],
    ['over', { costUsd: 0.0025 }, { ...FAIL, explanation: '$0.002500 > $0.001' }],
    [
      'unknown price',
      { costUsd: null },
      { ...UNSCORED, explanation: 'no price for this model in the suite’s pricing table' },
    ],
  ])('cost %s', (_, call, result) => {
    expect(cost(context('answer', undefined, call))).toEqual(result);
  });
});

describe('edge cases found in review', () => {
  const context = (output: string, expected: unknown) =>
    ({
      item: { id: 'x', input: 'q', expected },
      prompt: 'q',
      output,
      call: { latencyMs: 1, inputTokens: null, outputTokens: null, costUsd: null },
      signal: new AbortController().signal,
    }) as never;

  it.each([
    ['equals', equalsScorer({ type: 'equals', weight: 1, normalise: true } as never)],
    ['starts_with', startsWithScorer({ type: 'starts_with', weight: 1, caseSensitive: false } as never)],
    [
      'similarity',
      similarityScorer({ type: 'similarity', weight: 1, method: 'token_f1', threshold: 0.8 } as never),
    ],
  ])('%s leaves an item with an empty expected list unscored', (_name, score) => {
    expect(score(context('anything', []))).toMatchObject({ value: null, passed: null });
  });

  it('leaves an item whose expected label is not one of the labels unscored', () => {
    const score = classificationScorer({
      type: 'classification',
      weight: 1,
      labels: ['pip', 'universal_credit'],
      normalise: true,
    } as never);
    expect(score(context('pip', 'housing_benefit'))).toMatchObject({
      passed: null,
      explanation: expect.stringContaining('housing_benefit'),
    });
  });

  it('prefers the longer label when a shorter one is part of it', () => {
    const find = labelFinder(['housing', 'housing_benefit'], true);
    expect(find('This is about housing benefit')).toBe('housing_benefit');
    expect(find('This is about housing')).toBe('housing');
    expect(labelFinder(['pip', 'general'], true)('pip or general')).toBeNull();
  });
});
