import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { type DatasetItem } from '../datasets/dataset-item';
import { EvalsError } from '../evals-error';
import { type ScorerConfigOf, type ScorerType } from '../suites/suite-schema';
import { type LinearRegex, linearRegex, linearRegExpEngine } from './linear-regex';
import { fail, pass, type Score, type ScoreContext, unscored } from './scorer';
import { asStrings, expectedValue, firstNumber, levenshteinSimilarity, normalise, tokenF1 } from './text';

type Config<T extends ScorerType> = ScorerConfigOf<T>;
export type ScoreFn = (context: ScoreContext) => Score;

/** The reference strings, or null when there are none to compare with (the item is then unscored). */
function reference(item: DatasetItem, value: string | undefined, path: string | undefined): string[] | null {
  const references = value !== undefined ? [value] : asStrings(expectedValue(item, path));
  return references && references.length > 0 ? references : null;
}

export function equalsScorer(config: Config<'equals'>): ScoreFn {
  return ({ item, output }) => {
    const expected = reference(item, config.value, config.expectedPath);
    if (!expected) {
      return unscored('the item has no expected text to compare with');
    }
    const same = (a: string, b: string) => (config.normalise ? normalise(a) === normalise(b) : a === b);
    return expected.some((e) => same(output, e))
      ? pass()
      : fail(`expected ${expected.map((e) => JSON.stringify(e)).join(' or ')}`);
  };
}

export function includesScorer(config: Config<'includes'>): ScoreFn {
  return ({ item, output }) => {
    const needles = config.values ?? asStrings(expectedValue(item, config.expectedPath));
    if (!needles || needles.length === 0) {
      return unscored('the item has no expected phrases to look for');
    }
    const haystack = config.caseSensitive ? output : output.toLowerCase();
    const found = needles.filter((n) => haystack.includes(config.caseSensitive ? n : n.toLowerCase()));
    const missing = needles.filter((n) => !found.includes(n));
    const ok = config.mode === 'all' ? missing.length === 0 : found.length > 0;
    return ok
      ? pass(`found ${found.map((n) => JSON.stringify(n)).join(', ')}`)
      : fail(
          config.mode === 'all'
            ? `missing ${missing.map((n) => JSON.stringify(n)).join(', ')}`
            : `none of ${needles.map((n) => JSON.stringify(n)).join(', ')} found`,
        );
  };
}

/**
 * Matches on RE2 (linear time in the answer). A pattern RE2 cannot run is refused when the suite is
 * validated; one stored before that rule fails here, before any call, naming the scorer.
 */
export function regexScorer(config: Config<'regex'>): ScoreFn {
  let pattern: LinearRegex;
  try {
    pattern = linearRegex(config.pattern, config.flags);
  } catch (error) {
    throw new EvalsError((error as Error).message, { field: `scorer ${config.name ?? config.type} pattern` });
  }
  return ({ output }) => {
    const match = pattern.exec(output);
    return match
      ? pass(`matched ${JSON.stringify(match[0].slice(0, 80))}`)
      : fail(`no match for /${config.pattern}/${config.flags}`);
  };
}

export function startsWithScorer(config: Config<'starts_with'>): ScoreFn {
  return ({ item, output }) => {
    const prefixes = reference(item, config.value, config.expectedPath);
    if (!prefixes) {
      return unscored('the item has no expected prefix');
    }
    const text = config.caseSensitive ? output.trimStart() : output.trimStart().toLowerCase();
    return prefixes.some((p) => text.startsWith(config.caseSensitive ? p : p.toLowerCase()))
      ? pass()
      : fail(`does not start with ${prefixes.map((p) => JSON.stringify(p)).join(' or ')}`);
  };
}

/** JSON in the output: the whole output, or the body of a ```json fenced block. */
export function extractJson(output: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(output);
  try {
    return { ok: true, value: JSON.parse((fenced ? fenced[1] : output).trim()) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

export function jsonValidScorer(): ScoreFn {
  return ({ output }) => {
    const parsed = extractJson(output);
    return parsed.ok ? pass() : fail(`not valid JSON: ${parsed.error}`);
  };
}

export function jsonSchemaScorer(config: Config<'json_schema'>): ScoreFn {
  // `pattern` and `patternProperties` in the schema run on RE2 too: a suite author's schema cannot freeze a run.
  const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: linearRegExpEngine } });
  addFormats(ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(config.schema);
  } catch (error) {
    throw new EvalsError(`is not a valid JSON Schema (${(error as Error).message})`, {
      field: `scorer ${config.name ?? config.type} schema`,
    });
  }
  return ({ output }) => {
    const parsed = extractJson(output);
    if (!parsed.ok) {
      return fail(`not valid JSON: ${parsed.error}`);
    }
    return validate(parsed.value) ? pass() : fail(ajv.errorsText(validate.errors, { dataVar: 'output' }));
  };
}

export function numericScorer(config: Config<'numeric'>): ScoreFn {
  return ({ item, output }) => {
    const expected = expectedValue(item, config.expectedPath);
    const target =
      typeof expected === 'number' ? expected : typeof expected === 'string' ? firstNumber(expected) : null;
    if (target === null) {
      return unscored('the item has no expected number');
    }
    const actual = firstNumber(output);
    if (actual === null) {
      return fail('no number in the output');
    }
    const allowed = config.relative ? Math.abs(target) * config.tolerance : config.tolerance;
    return Math.abs(actual - target) <= allowed
      ? pass(`${actual} ≈ ${target}`)
      : fail(`${actual} is not within ${allowed} of ${target}`);
  };
}

export function similarityScorer(config: Config<'similarity'>): ScoreFn {
  return ({ item, output }) => {
    const references = asStrings(expectedValue(item, config.expectedPath));
    if (!references || references.length === 0) {
      return unscored('the item has no expected text');
    }
    const measure = config.method === 'levenshtein' ? levenshteinSimilarity : tokenF1;
    const best = Math.max(...references.map((r) => measure(output, r)));
    return {
      value: best,
      passed: best >= config.threshold,
      explanation: `${config.method} ${best.toFixed(3)} (pass at ${config.threshold})`,
    };
  };
}

/**
 * Finds the label a classifier's answer names: an exact (normalised) label, else the one label mentioned
 * as whole words ("Universal Credit" matches universal_credit). Two or more labels mentioned: none.
 * The label patterns are compiled once per scorer, not per item.
 */
export function labelFinder(labels: string[], doNormalise: boolean): (output: string) => string | null {
  const key = (s: string) => (doNormalise ? normalise(s).replace(/[_-]+/g, ' ') : s.trim());
  const keyed = new Map(labels.map((l) => [key(l), l]));
  const keyOf = (label: string) => ` ${key(label)} `;
  const patterns = labels.map(
    (l) => [l, new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegex(key(l))}($|[^\\p{L}\\p{N}])`, 'u')] as const,
  );
  return (output) => {
    const text = key(output);
    const exact = keyed.get(text);
    if (exact !== undefined) {
      return exact;
    }
    if (!doNormalise) {
      return null;
    }
    const mentioned = patterns.filter(([, pattern]) => pattern.test(text)).map(([label]) => label);
    // "housing benefit" also mentions "housing": a label inside a longer mentioned label does not count.
    const distinct = mentioned.filter(
      (label) => !mentioned.some((other) => other !== label && keyOf(other).includes(keyOf(label))),
    );
    return distinct.length === 1 ? distinct[0] : null;
  };
}

export function classificationScorer(config: Config<'classification'>): ScoreFn {
  const findLabel = labelFinder(config.labels, config.normalise);
  return ({ item, output }) => {
    const expected = expectedValue(item, config.expectedPath);
    if (typeof expected !== 'string') {
      return unscored('the item has no expected label');
    }
    const expectedLabel = findLabel(expected);
    if (expectedLabel === null) {
      return unscored(`the expected label "${expected}" is not one of the suite's labels`);
    }
    const label = findLabel(output);
    if (label === null) {
      return {
        value: 0,
        passed: false,
        label: null,
        expectedLabel,
        explanation: `no single known label in the answer (expected ${expectedLabel})`,
      };
    }
    return label === expectedLabel
      ? { value: 1, passed: true, label, expectedLabel }
      : {
          value: 0,
          passed: false,
          label,
          expectedLabel,
          explanation: `answered ${label}, expected ${expectedLabel}`,
        };
  };
}

export function latencyScorer(config: Config<'latency'>): ScoreFn {
  return ({ call }) =>
    call.latencyMs <= config.maxMs
      ? pass(`${Math.round(call.latencyMs)} ms`)
      : fail(`${Math.round(call.latencyMs)} ms > ${config.maxMs} ms`);
}

export function tokensScorer(config: Config<'tokens'>): ScoreFn {
  return ({ call }) =>
    call.outputTokens === null
      ? unscored('the target did not report token usage')
      : call.outputTokens <= config.maxOutputTokens
        ? pass(`${call.outputTokens} output tokens`)
        : fail(`${call.outputTokens} output tokens > ${config.maxOutputTokens}`);
}

export function costScorer(config: Config<'cost'>): ScoreFn {
  return ({ call }) =>
    call.costUsd === null
      ? unscored('no price for this model in the suite’s pricing table')
      : call.costUsd <= config.maxUsd
        ? pass(`$${call.costUsd.toFixed(6)}`)
        : fail(`$${call.costUsd.toFixed(6)} > $${config.maxUsd}`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
