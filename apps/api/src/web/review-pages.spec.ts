import { type ReviewItemView, type ReviewSampleView } from '@gatehouse/application';
import { DomainError, type ReviewStatistics, type SampleStratum } from '@gatehouse/domain';
import {
  designSentence,
  formFromReview,
  importErrors,
  pagePosition,
  readDrawForm,
  readReviewForm,
  reviewErrors,
  sampleBanner,
  shown,
  statisticsRows,
} from './review-pages';

const stratum = (key: string, failed: boolean | null, group: string | null, judged: boolean | null = null) =>
  ({ key, failed, judged, group, population: 10, drawn: 2 }) satisfies SampleStratum;

const emptyStats: ReviewStatistics = {
  items: 0,
  reviewedItems: 0,
  reviewers: 0,
  independentOnly: false,
  metrics: [],
  anyFailure: {
    n: 0,
    value: null,
    interval: null,
    upper95: null,
    scorerValue: null,
    coverage: 0,
    method: 'simple',
  },
};

function sampleView(overrides: Partial<ReviewSampleView> = {}): ReviewSampleView {
  return {
    id: 's-1',
    runId: 'r-1',
    aiUseCaseId: null,
    suite: { name: 'suite', version: 1 },
    design: { size: 120, seed: 42, groupKey: 'age_band', failureWeight: 3, judgedWeight: 2 },
    strata: [stratum('failed|age_band=65+', true, '65+'), stratum('passed|age_band=65+', false, '65+')],
    population: 1000,
    size: 120,
    hash: 'h',
    createdBy: 'u',
    createdAt: '2026-12-05T00:00:00.000Z',
    progress: { reviewedItems: 0, reviewedByYou: 0, nextForYou: 1 },
    statistics: {
      all: emptyStats,
      independent: emptyStats,
      reviewsHash: 'rh',
      independentReviewsHash: 'irh',
    },
    ...overrides,
  };
}

function itemView(overrides: Partial<ReviewItemView> = {}): ReviewItemView {
  return {
    sampleId: 's-1',
    position: 3,
    total: 10,
    itemId: 'q-1',
    epoch: 1,
    input: 'question',
    expected: 'yes',
    output: 'yes',
    groups: {},
    scorers: [
      {
        metric: 'correct',
        scorer: 'equals',
        judge: false,
        guardrail: false,
        passed: true,
        value: 1,
        label: null,
        explanation: null,
      },
      {
        metric: 'quality',
        scorer: 'rubric_judge',
        judge: true,
        guardrail: false,
        passed: false,
        value: 0.25,
        label: null,
        explanation: 'terse',
      },
    ],
    yourReview: null,
    previous: 2,
    next: 4,
    nextUnreviewed: 4,
    ...overrides,
  };
}

describe('the review pages’ models', () => {
  it('states the design in words, naming only the dimensions the draw stratified by', () => {
    expect(designSentence(sampleView())).toBe(
      '120 items drawn from 1,000, stratified by verdict and age_band, failures weighted ×3, seed 42',
    );
    const judged = sampleView({
      strata: [stratum('failed|judged', true, null, true), stratum('passed|unjudged', false, null, false)],
      design: { size: 1, seed: 7, groupKey: null, failureWeight: 1, judgedWeight: 4 },
      size: 1,
      population: 1,
    });
    expect(designSentence(judged)).toBe(
      '1 item drawn from 1, stratified by verdict and whether a judge scored the item, judge-scored items weighted ×4, seed 7',
    );
    const simple = sampleView({
      strata: [stratum('all', null, null)],
      design: { size: 5, seed: 0, groupKey: null, failureWeight: 1, judgedWeight: 1 },
      size: 5,
    });
    expect(designSentence(simple)).toBe('5 items drawn from 1,000, a simple random sample, seed 0');
  });

  it('formats each metric’s statistics with their intervals, and dashes where there is nothing to say', () => {
    const interval = (lower: number, upper: number) => ({
      lower,
      upper,
      level: 0.95,
      method: 'wilson' as const,
    });
    const rows = statisticsRows({
      ...emptyStats,
      metrics: [
        {
          metric: 'quality',
          scorer: 'rubric_judge',
          judge: true,
          reviewedItems: 12,
          reviews: 15,
          humanVsScorer: {
            n: 15,
            agreement: 0.8,
            agreementInterval: interval(0.548, 0.93),
            kappa: 0.5,
            kappaInterval: interval(0.1, 0.8),
          },
          humanVsHuman: { items: 3, alpha: 0.6, alphaInterval: interval(0.2, 0.9), agreement: 0.8 },
          corrected: {
            n: 12,
            value: 0.25,
            interval: interval(0.05, 0.57),
            upper95: 0.52,
            scorerValue: 0.3,
            coverage: 0.9,
            method: 'design_weighted',
          },
        },
        {
          metric: 'correct',
          scorer: 'equals',
          judge: false,
          reviewedItems: 0,
          reviews: 0,
          humanVsScorer: { n: 0, agreement: null, agreementInterval: null, kappa: null, kappaInterval: null },
          humanVsHuman: { items: 0, alpha: null, alphaInterval: null, agreement: null },
          corrected: {
            n: 0,
            value: null,
            interval: null,
            upper95: null,
            scorerValue: null,
            coverage: 0,
            method: 'simple',
          },
        },
      ],
    });
    expect(rows[0].map((c) => c.text)).toEqual([
      'quality (model judge)',
      '12 (15 reviews)',
      '80.0% (54.8–93.0%)',
      '0.50 (0.10–0.80)',
      '0.60 (0.20–0.90) over 3 items',
      '25.0% (5.0–57.0%)',
      '30.0%',
      '90.0%',
    ]);
    expect(rows[1].map((c) => c.text)).toEqual([
      'correct',
      '0 (0 reviews)',
      '–',
      '–',
      'No item reviewed twice',
      '–',
      '–',
      '0.0%',
    ]);
  });

  it('reads the review form: every scorer answered, corrections only on a disagreement, the note kept as typed', () => {
    const item = itemView();
    const read = readReviewForm(item, {
      'agree-0': 'agree',
      'passed-0': 'fail', // ignored: the reviewer agrees
      'agree-1': 'disagree',
      'passed-1': 'pass',
      'value-1': '0.75',
      note: '  <b>why</b>  ',
      supersedesId: 'not-a-uuid',
      'agree-2': 'agree', // no third scorer
    });
    expect(read.problems).toEqual([]);
    expect(read.body).toEqual({
      verdicts: {
        correct: { agree: true },
        quality: { agree: false, correctedPassed: true, correctedValue: 0.75 },
      },
      note: '  <b>why</b>  ',
      supersedesId: null,
    });
    expect(Object.getPrototypeOf(read.body['verdicts'])).toBe(Object.prototype);

    const bad = readReviewForm(item, {
      'agree-0': ['agree', 'agree'],
      'agree-1': 'disagree',
      'value-1': '1e3',
    });
    expect(bad.problems.map((p) => p.field)).toEqual([
      'verdicts.correct.agree',
      'verdicts.quality.correctedValue',
    ]);
    expect(bad.values.scorers[1]).toEqual({ agree: 'disagree', passed: '', value: '1e3' });
    expect(
      readReviewForm(item, { 'agree-0': 'agree', 'agree-1': 'agree', note: '   ' }).body['note'],
    ).toBeNull();
  });

  it('links each problem, the page’s or the service’s, to its field', () => {
    const { errors, fieldErrors } = reviewErrors(itemView(), [
      { field: 'verdicts.quality.correctedValue', message: 'must be between 0 and 1', code: 'too_big' },
      {
        field: 'verdicts.correct.agree',
        message: 'Select whether you agree with correct’s verdict',
        code: 'x',
      },
      { field: 'note', message: 'must be at most 4000 characters', code: 'too_big' },
      { field: 'verdicts.__proto__', message: 'is not a metric of the run', code: 'unknown_metric' },
    ]);
    expect(errors).toEqual([
      { text: 'The corrected score for quality must be between 0 and 1', href: '#value-1' },
      { text: 'Select whether you agree with correct’s verdict', href: '#agree-0' },
      { text: 'The note must be at most 4000 characters', href: '#note' },
      { text: 'verdicts.__proto__ is not a metric of the run', href: '#agree-0' },
    ]);
    expect(Object.keys(fieldErrors).sort()).toEqual(['agree-0', 'form', 'note', 'value-1']);
  });

  it('pre-fills the form from the caller’s own review only', () => {
    const mine = formFromReview(
      itemView({
        yourReview: {
          id: 'r-2',
          sampleId: 's-1',
          position: 3,
          itemId: 'q-1',
          epoch: 1,
          reviewerId: 'u',
          reviewerName: 'U',
          rater: null,
          revision: 2,
          supersedesId: 'r-1',
          verdicts: { quality: { agree: false, correctedPassed: false, correctedValue: 0 } },
          note: 'n',
          source: 'web',
          createdAt: '2026-12-05T00:00:00.000Z',
        },
      }),
    );
    expect(mine).toEqual({
      scorers: [
        { agree: '', passed: '', value: '' },
        { agree: 'disagree', passed: 'fail', value: '0' },
      ],
      note: 'n',
      supersedesId: 'r-2',
    });
    expect(formFromReview(itemView())).toEqual({
      scorers: [
        { agree: '', passed: '', value: '' },
        { agree: '', passed: '', value: '' },
      ],
      note: '',
      supersedesId: '',
    });
  });

  it('reads the draw form: numbers as numbers, an empty optional field left out, a word refused', () => {
    expect(
      readDrawForm({ size: ' 12 ', seed: '', groupKey: 'band', failureWeight: '1.5', judgedWeight: '2' }),
    ).toEqual({
      values: { size: '12', seed: '', groupKey: 'band', failureWeight: '1.5', judgedWeight: '2' },
      body: { size: 12, groupKey: 'band', failureWeight: 1.5, judgedWeight: 2 },
      problems: [],
    });
    expect(readDrawForm({ size: '', seed: 'abc' }).problems.map((p) => p.field)).toEqual(['size', 'seed']);
    expect(readDrawForm(undefined).problems.map((p) => p.field)).toEqual(['size']);
  });

  it('shows text as text, chat messages as messages and anything else as JSON', () => {
    expect(shown('hi')).toEqual({ text: 'hi' });
    expect(shown([{ role: 'user', content: 'hello' }])).toEqual({
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(shown({ messages: [{ role: 'system', content: 's' }] })).toEqual({
      messages: [{ role: 'system', content: 's' }],
    });
    expect(shown({ a: 1 })).toEqual({ json: '{\n  "a": 1\n}' });
    expect(shown([{ role: 'user' }])).toEqual({ json: '[\n  {\n    "role": "user"\n  }\n]' });
    expect(shown(null)).toBeNull();
  });

  it('names the line of each import problem; banners and positions only from what they expect', () => {
    const error = DomainError.validation([
      { field: 'lines[3].verdicts.nope', message: 'is not a metric of the run', code: 'x' },
      { field: '(body)', message: 'must hold at least one line', code: 'x' },
    ]);
    expect(importErrors(error)).toEqual([
      { text: 'Line 3: verdicts.nope is not a metric of the run', href: '#jsonl' },
      { text: 'Must hold at least one line', href: '#jsonl' },
    ]);
    expect(sampleBanner({ done: 'reviewed' })).toBe('You have reviewed every item in this sample.');
    expect(sampleBanner({ imported: '2' })).toBe('2 reviews imported.');
    expect(sampleBanner({ imported: '<b>' })).toBeNull();
    expect(sampleBanner({ imported: ['1', '2'] })).toBeNull();
    expect(pagePosition('7')).toBe(7);
    for (const bad of ['0', '-1', '1.5', '07', '1e3', '9999999', '']) {
      expect(() => pagePosition(bad)).toThrow(DomainError);
    }
  });
});
