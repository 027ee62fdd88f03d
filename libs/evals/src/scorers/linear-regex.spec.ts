import { EvalsError } from '../evals-error';
import { parseSuite, SuiteValidationError } from '../suites/suite-loader';
import { type ScorerConfigOf } from '../suites/suite-schema';
import { jsonSchemaScorer, regexScorer } from './deterministic';
import { linearRegex, linearRegexProblem, LinearRegexError } from './linear-regex';
import { type ScoreContext } from './scorer';

const context = (output: string): ScoreContext =>
  ({ item: { id: 'item-1', input: 'q' }, prompt: 'q', output }) as unknown as ScoreContext;

const regex = (pattern: string, flags = ''): ScorerConfigOf<'regex'> => ({
  type: 'regex',
  weight: 1,
  pattern,
  flags,
});

describe('regular expressions on a linear-time engine (RE2)', () => {
  // On a backtracking engine each extra character doubles the time: 29 took ~10 s, 100,000 would never end.
  const evil = '^(a+)+$';
  const long = `${'a'.repeat(100_000)}!`;

  it('scores the catastrophic-backtracking pattern on a long answer (and still matches what it should)', () => {
    expect(regexScorer(regex(evil))(context(long))).toMatchObject({ passed: false, value: 0 });
    expect(regexScorer(regex(evil))(context('a'.repeat(100_000)))).toMatchObject({ passed: true, value: 1 });
    expect(regexScorer(regex('(x+x+)+y'))(context('x'.repeat(50_000)))).toMatchObject({ passed: false });
  });

  it('runs JSON Schema patterns of a json_schema scorer on RE2 too', () => {
    const score = jsonSchemaScorer({
      type: 'json_schema',
      weight: 1,
      schema: { type: 'object', properties: { code: { type: 'string', pattern: evil } } },
    });
    expect(score(context(JSON.stringify({ code: long })))).toMatchObject({ passed: false });
    expect(score(context(JSON.stringify({ code: 'aaa' })))).toMatchObject({ passed: true });
    // Each pattern keeps its own compiled expression (ajv caches them by their text).
    const two = jsonSchemaScorer({
      type: 'json_schema',
      weight: 1,
      schema: {
        type: 'object',
        properties: { a: { type: 'string', pattern: '^a+$' }, b: { type: 'string', pattern: '^b+$' } },
      },
    });
    expect(two(context('{"a": "aa", "b": "bb"}'))).toMatchObject({ passed: true });
    expect(two(context('{"a": "bb", "b": "aa"}'))).toMatchObject({ passed: false });
  });

  it.each<[string, string, RegExp]>([
    [
      'a numbered backreference',
      '(a+)\\1',
      /^uses a backreference \(\\1\): patterns run on .*RE2.* no backreferences/,
    ],
    ['a two-digit backreference', '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10', /^uses a backreference \(\\10\)/],
    ['a named backreference', '(?<word>\\w+) \\k<word>', /^uses a named backreference \(\\k<…>\)/],
    ['a lookahead', 'foo(?=bar)', /^uses a lookahead, \(\?=…\): /],
    ['a negative lookahead', '^(?!no)', /^uses a lookahead, \(\?!…\): /],
    ['a lookbehind', '(?<=£)\\d+', /^uses a lookbehind, \(\?<=…\): /],
    ['a negative lookbehind', '(?<!-)\\d+', /^uses a lookbehind, \(\?<!…\): /],
    [
      'a possessive quantifier',
      'a++',
      /^is not a valid regular expression for the linear-time engine \(RE2\): /,
    ],
    [
      'an unclosed group',
      '(unclosed',
      /^is not a valid regular expression for the linear-time engine \(RE2\): /,
    ],
    ['a huge repetition', '(a{1000}){1000}', /^is not a valid regular expression/],
  ])('refuses %s with the reason', (_name, pattern, reason) => {
    expect(linearRegexProblem(pattern)).toMatch(reason);
    expect(() => linearRegex(pattern)).toThrow(LinearRegexError);
  });

  it.each<[string, string, string, string | null]>([
    ['an escaped digit in a class is not a backreference', '[\\d\\-]+', 'tel 0-1', '0-1'],
    ['a literal backslash before a digit', '\\\\1', 'a\\1', '\\1'],
    ['a named group', '(?<ref>[A-Z]{2}\\d+)', 'ref AB12', 'AB12'],
    ['a Unicode escape', '\\u00e9+', 'café', 'é'],
    ['a Unicode property', '\\p{Lu}\\p{Ll}+', 'hello World', 'World'],
    ['a parenthesis in a class', '[(?=]+', 'a(?=b', '(?='],
    ['a non-capturing group', '(?:ab)+', 'xabab', 'abab'],
  ])('runs %s', (_name, pattern, text, match) => {
    expect(linearRegexProblem(pattern)).toBeNull();
    expect(linearRegex(pattern).exec(text)?.[0] ?? null).toBe(match);
  });

  it.each<[string, string, string, boolean]>([
    ['yes', 'i', 'YES', true],
    ['yes', '', 'YES', false],
    ['^b$', 'm', 'a\nb\nc', true],
    ['^b$', '', 'a\nb\nc', false],
    ['a.b', 's', 'a\nb', true],
    ['a.b', '', 'a\nb', false],
    ['^.$', 'u', '😀', true],
    ['^b.c$', 'ims', 'a\nB\nC', true],
  ])('keeps the flags: /%s/%s on %j → %s', (pattern, flags, text, matches) => {
    expect(linearRegex(pattern, flags).test(text)).toBe(matches);
  });

  it('refuses a suite whose regex scorer RE2 cannot run, naming scorers[i].pattern and the reason', () => {
    const suite = (pattern: string) => `name: s
version: 1
dataset: d@1
target: { type: replay, cassette: c }
scorers:
  - type: equals
  - type: regex
    pattern: ${JSON.stringify(pattern)}
`;
    expect(parseSuite(suite('^(a+)+$')).definition.scorers[1]).toMatchObject({ pattern: '^(a+)+$' });
    const problems = (pattern: string) => {
      try {
        parseSuite(suite(pattern), 'suite.yaml');
      } catch (error) {
        if (error instanceof SuiteValidationError) {
          return error.problems.map((p) => `${p.field}: ${p.message}`);
        }
        throw error;
      }
      return [];
    };
    expect(problems('(a+)\\1')).toEqual([
      expect.stringMatching(/^scorers\[1\]\.pattern: uses a backreference \(\\1\)/),
    ]);
    expect(problems('x(?!y)')).toEqual([expect.stringMatching(/^scorers\[1\]\.pattern: uses a lookahead/)]);
  });

  it('names the scorer when a stored regex scorer’s pattern cannot run (a suite stored before the rule)', () => {
    expect(() => regexScorer({ ...regex('(a)\\1'), name: 'twice' })).toThrow(EvalsError);
    expect(() => regexScorer({ ...regex('(a)\\1'), name: 'twice' })).toThrow(
      /^scorer twice pattern: uses a backreference \(\\1\)/,
    );
  });

  it('names the scorer when a json_schema pattern cannot run', () => {
    expect(() =>
      jsonSchemaScorer({
        type: 'json_schema',
        weight: 1,
        name: 'shape',
        schema: { type: 'string', pattern: '(a)\\1' },
      }),
    ).toThrow(EvalsError);
    expect(() =>
      jsonSchemaScorer({ type: 'json_schema', weight: 1, schema: { type: 'string', pattern: '(a)\\1' } }),
    ).toThrow(/^scorer json_schema schema: is not a valid JSON Schema \(uses a backreference/);
  });
});
