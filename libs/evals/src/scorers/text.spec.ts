import { type JsonValue } from '@gatehouse/domain';
import { type DatasetItem } from '../datasets/dataset-item';
import {
  asStrings,
  expectedValue,
  firstNumber,
  levenshteinSimilarity,
  normalise,
  tokenF1,
  words,
} from './text';

describe('normalise', () => {
  it.each<[string, string]>([
    ["  'Yes.' ", 'yes'],
    ['YES', 'yes'],
    ['"No!"', 'no'],
    ['“Quoted”', 'quoted'],
    ['‘single’', 'single'],
    ['`code`', 'code'],
    ['(maybe)', 'maybe'],
    ['[bracketed]', 'bracketed'],
    ['Really?!', 'really'],
    ['done;', 'done'],
    ['Hello   \n\t World', 'hello world'],
    ['  inner, punctuation stays  ', 'inner, punctuation stays'],
    ['U.S.A.', 'u.s.a'],
    ['...!?', ''],
    ['', ''],
    ['   ', ''],
    // NFKC: the ﬁ ligature and full-width letters fold to their plain forms.
    ['ﬁne', 'fine'],
    ['ＡＢＣ', 'abc'],
    ['Universal_Credit', 'universal_credit'],
  ])('%j → %j', (input, expected) => {
    expect(normalise(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const text of ["  'Yes.' ", '“Quoted”', 'Hello   World', '(maybe)']) {
      expect(normalise(normalise(text))).toBe(normalise(text));
    }
  });
});

describe('expectedValue', () => {
  const item = (expected?: JsonValue): DatasetItem => ({ id: 'i', input: 'q', expected });

  it.each<[string, JsonValue | undefined, string | undefined, JsonValue | undefined]>([
    ['the whole value without a path', 'yes', undefined, 'yes'],
    ['an object without a path', { a: 1 }, undefined, { a: 1 }],
    ['an empty path as no path', 'yes', '', 'yes'],
    ['a top-level key', { answer: '42' }, 'answer', '42'],
    ['a nested key', { answer: { text: 'hello' } }, 'answer.text', 'hello'],
    ['a nested null', { answer: null }, 'answer', null],
    ['a missing key', { answer: '42' }, 'other', undefined],
    ['a path through a missing key', { answer: '42' }, 'other.deeper', undefined],
    ['a path through a string', { answer: '42' }, 'answer.length', undefined],
    ['a path through null', { answer: null }, 'answer.text', undefined],
    ['a path into an array (arrays are not indexed)', ['a', 'b'], '0', undefined],
    ['a path into a string', 'yes', 'x', undefined],
    ['no expected value', undefined, undefined, undefined],
    ['no expected value with a path', undefined, 'answer', undefined],
    ['an array value', { facts: ['a', 'b'] }, 'facts', ['a', 'b']],
    ['a number value', { amount: 12.5 }, 'amount', 12.5],
  ])('%s', (_, expected, path, result) => {
    expect(expectedValue(item(expected), path)).toEqual(result);
  });
});

describe('asStrings', () => {
  it.each<[JsonValue | undefined, string[] | null]>([
    ['a', ['a']],
    ['', ['']],
    [
      ['a', 'b'],
      ['a', 'b'],
    ],
    [[], []],
    [['a', 1], null],
    [[['a']], null],
    [1, null],
    [true, null],
    [null, null],
    [undefined, null],
    [{ a: 'b' }, null],
  ])('%p → %p', (value, expected) => {
    expect(asStrings(value)).toEqual(expected);
  });
});

describe('words', () => {
  it.each<[string, string[]]>([
    ['Hello, World!', ['hello', 'world']],
    ["don't stop", ['don', 't', 'stop']],
    ['£12.50 each', ['12', '50', 'each']],
    ['Café déjà vu', ['café', 'déjà', 'vu']],
    ['!!!', []],
    ['', []],
  ])('%j → %p', (text, expected) => {
    expect(words(text)).toEqual(expected);
  });
});

describe('tokenF1', () => {
  // SQuAD-style token F1: shared = size of the multiset intersection, P = shared / |candidate|,
  // R = shared / |reference|, F1 = 2PR / (P + R); 1 when both are empty, 0 when only one is.
  it.each<[string, string, string, number]>([
    ['identical', 'cat sat', 'cat sat', 1],
    ['same bag, another order', 'sat cat', 'cat sat', 1],
    ['case and punctuation ignored', 'Cat, SAT!', 'cat sat', 1],
    // P = 1/2, R = 1 → 2/3.
    ['extra candidate word', 'Paris, France.', 'paris', 2 / 3],
    // P = 2/3, R = 1 → 0.8.
    ['one extra of three', 'Universal Credit claim', 'universal credit', 0.8],
    // P = 1, R = 1/2 → 2/3.
    ['missing reference word', 'universal', 'universal credit', 2 / 3],
    // P = 2/6, R = 1 → 0.5.
    ['long candidate', 'cat sat on big red mat', 'cat mat', 0.5],
    // P = 1/3, R = 1/2 → 0.4 (a repeated word counts once per reference occurrence).
    ['repeated candidate word', 'cat cat cat', 'cat dog', 0.4],
    // P = 2/3, R = 2/2 → 0.8.
    ['repeated words on both sides', 'cat cat dog', 'cat cat', 0.8],
    // shared 2 (dog, cat): P = 2/4, R = 2/3 → 4/7.
    ['partial overlap', 'dog cat bird fish', 'cat dog cow', 4 / 7],
    ['no shared words', 'alpha beta', 'gamma delta', 0],
    ['both empty', '', '', 1],
    ['both punctuation only', '!!!', '...', 1],
    ['empty candidate', '', 'cat', 0],
    ['empty reference', 'cat', '', 0],
    // P = 1/3, R = 1 → 0.5.
    ['numbers are tokens', 'It is 42', '42', 0.5],
  ])('%s: %j vs %j', (_, candidate, reference, expected) => {
    expect(tokenF1(candidate, reference)).toBeCloseTo(expected, 12);
  });

  it('is symmetric', () => {
    expect(tokenF1('dog cat bird fish', 'cat dog cow')).toBeCloseTo(
      tokenF1('cat dog cow', 'dog cat bird fish'),
      12,
    );
  });
});

describe('levenshteinSimilarity', () => {
  it.each<[string, string, number]>([
    ['abc', 'abc', 1],
    // Normalised first: case, quotes and trailing punctuation go.
    ["  'Yes.' ", 'yes', 1],
    // kitten → sitting: 3 edits over 7 characters.
    ['kitten', 'sitting', 1 - 3 / 7],
    // flaw → lawn: 2 edits over 4.
    ['flaw', 'lawn', 0.5],
    // Two substitutions over 4.
    ['book', 'back', 0.5],
    ['abcd', 'abce', 0.75],
    // One insertion over 5.
    ['hello', 'hell', 0.8],
    ['abc', 'xyz', 0],
    ['', 'abc', 0],
    ['abc', '', 0],
    ['', '', 1],
    ['Universal Credit', 'universal credit', 1],
  ])('%j vs %j → %d', (a, b, expected) => {
    expect(levenshteinSimilarity(a, b)).toBeCloseTo(expected, 12);
  });

  it('is symmetric', () => {
    expect(levenshteinSimilarity('sitting', 'kitten')).toBeCloseTo(
      levenshteinSimilarity('kitten', 'sitting'),
      12,
    );
  });
});

describe('firstNumber', () => {
  it.each<[string, number | null]>([
    ['1,234.5', 1234.5],
    ['It costs 1,234.5 pounds', 1234.5],
    ['1,234,567', 1234567],
    ['-3', -3],
    ['It is -3 degrees', -3],
    ['£12.50', 12.5],
    ['The fee is £12.50 a week', 12.5],
    ['2e3', 2000],
    ['2E3', 2000],
    ['1.5e-2', 0.015],
    ['2e+3', 2000],
    ['12345', 12345],
    ['0.5', 0.5],
    ['The answer is 42, not 43', 42],
    ['3.14.15', 3.14],
    // Not a thousands group: the 1 alone.
    ['1,23', 1],
    ['none', null],
    ['', null],
    ['no digits here!', null],
  ])('%j → %p', (text, expected) => {
    expect(firstNumber(text)).toBe(expected);
  });
});

describe('firstNumber edge cases', () => {
  it.each<[string, number | null]>([
    ['COVID-19 cases: 3', 19],
    ['Form SA-100: 42', 100],
    ['.5', 0.5],
    ['-3 degrees', -3],
    ['a -7 b', -7],
  ])('%s → %p', (text, expected) => {
    expect(firstNumber(text)).toBe(expected);
  });
});
