import { type Actor, DomainError } from '@gatehouse/domain';
import { canReviewRun } from './review-access';
import {
  MAX_IMPORT_BYTES,
  importProblems,
  parseDrawSample,
  parseReviewJsonl,
  parseVerdicts,
} from './review-inputs';

const METRICS = new Set(['correct', 'quality']);
const READINGS = new Map([
  ['correct', { passed: true, value: 1, label: null }],
  ['quality', { passed: null, value: null, label: null }],
]);

const refusal = (run: () => unknown): DomainError => {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a DomainError');
};

describe('parseDrawSample', () => {
  it('accepts a design and leaves the defaults to the service', () => {
    expect(parseDrawSample({ size: 5, seed: 0, groupKey: 'band', failureWeight: 1.5 })).toEqual({
      size: 5,
      seed: 0,
      groupKey: 'band',
      failureWeight: 1.5,
    });
  });

  it('names every bad field, unknown ones included', () => {
    const error = refusal(() => parseDrawSample({ size: 2.5, seed: '1', judgedWeight: 0, other: 1 }));
    expect(error.code).toBe('validation_failed');
    expect(error.problems.map((p) => p.field).sort()).toEqual(['judgedWeight', 'other', 'seed', 'size']);
  });

  it('refuses a body that is not an object', () => {
    expect(refusal(() => parseDrawSample([1])).problems.map((p) => p.field)).toEqual(['(body)']);
  });
});

describe('parseVerdicts', () => {
  it('keeps only the fields given, for metrics of the run', () => {
    const { verdicts, problems } = parseVerdicts(
      { correct: { agree: false, correctedPassed: false }, quality: { agree: true, correctedValue: 0.5 } },
      METRICS,
      READINGS,
      '',
    );
    expect(problems).toEqual([]);
    expect(verdicts).toEqual({
      correct: { agree: false, correctedPassed: false },
      quality: { agree: true, correctedValue: 0.5 },
    });
  });

  it('refuses unknown metrics and prototype keys by name, without touching any prototype', () => {
    const raw = JSON.parse('{"__proto__": {"agree": true}, "constructor": {"agree": true}, "toString": {}}');
    const { verdicts, problems } = parseVerdicts(raw, METRICS, READINGS, 'lines[3]');
    expect(verdicts).toBeNull();
    expect(problems.map((p) => p.field)).toEqual([
      'lines[3].verdicts.__proto__',
      'lines[3].verdicts.constructor',
      'lines[3].verdicts.toString',
    ]);
    expect(({} as Record<string, unknown>).agree).toBeUndefined();
  });

  it('refuses an empty or non-object verdicts', () => {
    expect(parseVerdicts({}, METRICS, READINGS, '').problems).toEqual([
      expect.objectContaining({ field: 'verdicts', code: 'too_small' }),
    ]);
    expect(parseVerdicts([], METRICS, READINGS, '').problems).toEqual([
      expect.objectContaining({ field: 'verdicts', code: 'invalid_type' }),
    ]);
  });

  it('refuses agreeing with a verdict while correcting it to the opposite', () => {
    const { problems } = parseVerdicts(
      { correct: { agree: true, correctedPassed: false } },
      METRICS,
      READINGS,
      '',
    );
    expect(problems).toEqual([
      expect.objectContaining({ field: 'verdicts.correct.correctedPassed', code: 'inconsistent' }),
    ]);
    // The scorer left `quality` unscored: any corrected verdict is consistent with agreeing.
    expect(
      parseVerdicts({ quality: { agree: true, correctedPassed: false } }, METRICS, READINGS, '').problems,
    ).toEqual([]);
  });

  it('names bad fields inside a verdict', () => {
    const { problems } = parseVerdicts(
      { correct: { correctedValue: -0.1, correctedLabel: '', extra: true } },
      METRICS,
      READINGS,
      '',
    );
    expect(problems.map((p) => p.field).sort()).toEqual([
      'verdicts.correct.agree',
      'verdicts.correct.correctedLabel',
      'verdicts.correct.correctedValue',
      'verdicts.correct.extra',
    ]);
  });
});

describe('parseReviewJsonl', () => {
  const line = (fields: object) => JSON.stringify({ reviewer: 'Kim', verdicts: {}, ...fields });

  it('numbers lines from 1, counting blank ones, and skips them', () => {
    const { lines, problems } = parseReviewJsonl(
      `${line({ position: 1 })}\r\n\n${line({ itemId: 'q-1' })}\n`,
    );
    expect(problems).toEqual([]);
    expect(lines.map((l) => [l.line, l.value.position, l.value.itemId])).toEqual([
      [1, 1, undefined],
      [3, undefined, 'q-1'],
    ]);
  });

  it('names each bad line and field', () => {
    const { problems } = parseReviewJsonl(
      [
        line({ position: 0 }),
        '[1, 2',
        JSON.stringify({ position: 2, verdicts: {} }),
        line({ position: 3, reviewer: 'x'.repeat(201) }),
        line({ position: 4, extra: 1 }),
      ].join('\n'),
    );
    expect(problems.map((p) => p.field)).toEqual([
      'lines[1].position',
      'lines[2]',
      'lines[3].reviewer',
      'lines[4].reviewer',
      'lines[5].extra',
    ]);
  });

  it('refuses an empty file, too many lines, and too many bytes before parsing a line', () => {
    expect(refusal(() => parseReviewJsonl(' \n\n')).problems[0]).toMatchObject({ field: '(body)' });
    expect(refusal(() => parseReviewJsonl('x\n'.repeat(10_001))).problems[0]).toMatchObject({
      field: '(body)',
      code: 'too_big',
    });
    const big = refusal(() => parseReviewJsonl('é'.repeat(MAX_IMPORT_BYTES / 2 + 1)));
    expect(big.code).toBe('payload_too_large');
  });

  it('refuses a line nested past the depth limit before JSON.parse builds it (16 MiB of brackets would take seconds and gigabytes)', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    const deepInString = line({ position: 2, note: '['.repeat(200) });
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const { lines, problems } = parseReviewJsonl(`${line({ position: 1 })}\n${deep}\n${deepInString}`);
      expect(problems).toEqual([
        {
          field: 'lines[2]',
          code: 'too_deep',
          message: 'is nested more than 64 levels deep (the limit is 64)',
        },
      ]);
      // Brackets inside a string are text, not nesting.
      expect(lines.map((l) => l.line)).toEqual([1, 3]);
      expect(parse.mock.calls.some(([text]) => text === deep)).toBe(false);
    } finally {
      parse.mockRestore();
    }
  });

  it('sorts problems by line number when refusing', () => {
    const error = importProblems([
      { field: 'lines[10].reviewer', message: 'x' },
      { field: 'lines[2]', message: 'y' },
    ]);
    expect(error.problems.map((p) => p.field)).toEqual(['lines[2]', 'lines[10].reviewer']);
  });
});

describe('canReviewRun', () => {
  const actor = (roles: Actor['roles'], teamId: string | null): Actor => ({
    id: 'u',
    name: 'U',
    teamId,
    roles,
  });

  it.each([
    [['reviewer'], null, 'team-a', true],
    [['engineer'], 'team-a', 'team-a', true],
    [['service_team'], 'team-a', 'team-a', true],
    [['engineer'], 'team-b', 'team-a', false],
    [['engineer'], null, null, false],
    [['admin'], 'team-a', 'team-a', false],
    [['admin', 'reviewer'], null, 'team-a', true],
  ] as const)('%j in %s reviewing evidence of %s: %s', (roles, team, owner, allowed) => {
    expect(canReviewRun(actor(roles, team), owner)).toBe(allowed);
  });
});
