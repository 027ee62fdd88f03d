import {
  bootstrapMeanInterval,
  classificationReport,
  exactUpperBound,
  krippendorffAlphaNominal,
  type MetricSummary,
  type RunSummary,
  wilsonInterval,
} from '@gatehouse/domain';
import { type DatasetItem } from '../datasets/dataset-item';
import { type Score } from '../scorers/scorer';
import { type TargetErrorKind } from '../targets/target';
import { type ItemRecord } from './item-record';
import { type AggregationPlan, RunAggregator } from './run-aggregator';

type PlannedScorer = AggregationPlan['scorers'][number];

const passRate = (name = 'm', overrides: Partial<PlannedScorer> = {}): PlannedScorer => ({
  name,
  type: 'equals',
  kind: 'pass_rate',
  guardrail: false,
  weight: 1,
  ...overrides,
});
const graded = (name = 'm'): PlannedScorer => passRate(name, { type: 'similarity', kind: 'mean' });
const guardrail = (name = 'pii'): PlannedScorer => passRate(name, { type: 'pii_leakage', guardrail: true });

function plan(scorers: PlannedScorer[], overrides: Partial<AggregationPlan> = {}): AggregationPlan {
  return { scorers, epochs: 1, reducer: 'mean', groupBy: [], minGroupSize: 1, seed: 7, ...overrides };
}

const PASS: Score = { value: 1, passed: true };
const fail = (explanation = 'wrong'): Score => ({ value: 0, passed: false, explanation });
const UNSCORED: Score = { value: null, passed: null, explanation: 'could not grade' };
const verdict = (passed: boolean): Score => (passed ? PASS : fail());
/** A graded score passing at 0.5. */
const gradedScore = (value: number): Score => ({ value, passed: value >= 0.5 });

function record(
  itemId: string,
  scores: Record<string, Score>,
  overrides: Partial<ItemRecord> = {},
): ItemRecord {
  return {
    itemId,
    epoch: 1,
    status: 'scored',
    output: `answer to ${itemId}`,
    error: null,
    scores,
    groups: {},
    latencyMs: 100,
    durationMs: 150,
    attempts: 1,
    inputTokens: 10,
    outputTokens: 5,
    costUsd: null,
    ...overrides,
  };
}

function errored(
  itemId: string,
  kind: TargetErrorKind = 'timeout',
  overrides: Partial<ItemRecord> = {},
): ItemRecord {
  return record(
    itemId,
    {},
    {
      status: 'errored',
      output: null,
      error: { kind, message: `${kind} calling the target` },
      latencyMs: null,
      inputTokens: null,
      outputTokens: null,
      attempts: 5,
      ...overrides,
    },
  );
}

function datasetItem(id: string, overrides: Partial<DatasetItem> = {}): DatasetItem {
  return { id, input: `question ${id}`, expected: `expected ${id}`, ...overrides };
}

function aggregate(aggregationPlan: AggregationPlan, records: ItemRecord[]): RunSummary {
  const aggregator = new RunAggregator(aggregationPlan);
  records.forEach((r) => aggregator.add(r));
  return aggregator.summary();
}

function metric(summary: RunSummary, name = 'm'): MetricSummary {
  const found = summary.metrics.find((m) => m.name === name);
  if (!found) {
    throw new Error(`no metric ${name}`);
  }
  return found;
}

/** n items named i0…, the first `passes` passing metric `name`. */
const passFail = (n: number, passes: number, name = 'm'): ItemRecord[] =>
  Array.from({ length: n }, (_, i) => record(`i${i}`, { [name]: verdict(i < passes) }));

describe('RunAggregator', () => {
  describe('pass-rate metrics', () => {
    it('reports the pass rate with its Wilson interval', () => {
      const summary = aggregate(plan([passRate()]), passFail(10, 8));
      expect(metric(summary)).toEqual({
        name: 'm',
        scorer: 'equals',
        kind: 'pass_rate',
        guardrail: false,
        value: 0.8,
        interval: wilsonInterval(8, 10),
        upper95: null,
        n: 10,
        passed: 8,
        failed: 2,
        unscored: 0,
        errored: 0,
        groups: [],
        classification: null,
        agreement: null,
      });
      // Wilson 95% for 8/10, by hand: (8 + z²/2 ± z·√(8·2/10 + z²/4)) / (10 + z²) = 0.4902 … 0.9433.
      expect(metric(summary).interval).toMatchObject({ level: 0.95, method: 'wilson' });
      expect(metric(summary).interval?.lower).toBeCloseTo(0.4902, 4);
      expect(metric(summary).interval?.upper).toBeCloseTo(0.9433, 4);
    });

    it.each<[number, number, number, number, number]>([
      // [n, passes, value, lower, upper] (Wilson bounds by hand, to 4 places)
      [5, 5, 1, 0.5655, 1],
      [5, 0, 0, 0, 0.4345],
      [1, 1, 1, 0.2065, 1],
      [20, 10, 0.5, 0.2993, 0.7007],
    ])('%d items, %d passing → %d [%d, %d]', (n, passes, value, lower, upper) => {
      const m = metric(aggregate(plan([passRate()]), passFail(n, passes)));
      expect(m).toMatchObject({ kind: 'pass_rate', value, n, passed: passes, failed: n - passes });
      expect(m.interval?.lower).toBeCloseTo(lower, 4);
      expect(m.interval?.upper).toBeCloseTo(upper, 4);
    });

    it('has no value or interval with no items', () => {
      const summary = aggregate(plan([passRate()]), []);
      expect(metric(summary)).toMatchObject({
        value: null,
        interval: null,
        upper95: null,
        n: 0,
        passed: 0,
        failed: 0,
      });
      expect(summary.items).toEqual({ total: 0, scored: 0, errored: 0, epochs: 1 });
    });
  });

  describe('graded metrics', () => {
    it('reports the mean with a seeded bootstrap interval', () => {
      const values = [0.2, 0.4, 0.9, 0.5, 0.75, 0.25];
      const summary = aggregate(
        plan([graded()], { seed: 11 }),
        values.map((v, i) => record(`i${i}`, { m: gradedScore(v) })),
      );
      const m = metric(summary);
      expect(m).toMatchObject({
        scorer: 'similarity',
        kind: 'mean',
        guardrail: false,
        n: 6,
        passed: 3,
        failed: 3,
      });
      expect(m.value).toBeCloseTo(0.5, 12);
      expect(m.interval).toEqual(bootstrapMeanInterval(values, { seed: 11 }));
      expect(m.interval?.method).toBe('bootstrap');
      expect(m.interval?.lower).toBeLessThan(0.5);
      expect(m.interval?.upper).toBeGreaterThan(0.5);
      expect(m.interval?.lower).toBeGreaterThanOrEqual(0.2);
      expect(m.interval?.upper).toBeLessThanOrEqual(0.9);
    });

    it('is the same for the same seed and differs for another', () => {
      const records = [0.1, 0.6, 0.8, 0.3, 0.95, 0.42, 0.77, 0.05, 0.66, 0.31, 0.58, 0.12].map((v, i) =>
        record(`i${i}`, { m: gradedScore(v) }),
      );
      const first = metric(aggregate(plan([graded()], { seed: 1 }), records)).interval;
      expect(metric(aggregate(plan([graded()], { seed: 1 }), records)).interval).toEqual(first);
      expect(metric(aggregate(plan([graded()], { seed: 2 }), records)).interval).not.toEqual(first);
    });

    it('keeps a graded scorer a mean even when every value is 0 or 1', () => {
      const m = metric(aggregate(plan([graded()]), [record('a', { m: PASS }), record('b', { m: fail() })]));
      expect(m).toMatchObject({
        kind: 'mean',
        value: 0.5,
        interval: bootstrapMeanInterval([1, 0], { seed: 7 }),
      });
    });
  });

  describe('guardrails', () => {
    it('report a failure rate with its exact one-sided upper bound', () => {
      const records = Array.from({ length: 20 }, (_, i) => record(`i${i}`, { pii: verdict(i !== 3) }));
      const m = metric(aggregate(plan([guardrail()]), records), 'pii');
      expect(m).toMatchObject({
        scorer: 'pii_leakage',
        kind: 'failure_rate',
        guardrail: true,
        value: 0.05,
        interval: wilsonInterval(1, 20),
        upper95: exactUpperBound(1, 20),
        n: 20,
        passed: 19,
        failed: 1,
      });
      // Clopper–Pearson one-sided 95% bound for 1 failure in 20: the 0.95 quantile of Beta(2, 19).
      expect(m.upper95).toBeCloseTo(0.2161, 4);
    });

    it.each<[number, number, number, number]>([
      // [n, failures, failure rate, upper95]: no failures gives 1 − 0.05^(1/n) (about 3/n).
      [30, 0, 0, 1 - 0.05 ** (1 / 30)],
      [3, 3, 1, 1],
      [1, 0, 0, 0.95],
    ])('%d items with %d failures → rate %d, upper95 %d', (n, failures, rate, upper95) => {
      const records = Array.from({ length: n }, (_, i) => record(`i${i}`, { pii: verdict(i >= failures) }));
      const m = metric(aggregate(plan([guardrail()]), records), 'pii');
      expect(m.value).toBe(rate);
      expect(m.upper95).toBeCloseTo(upper95, 10);
      expect(m.interval).toEqual(wilsonInterval(failures, n));
    });

    it('count failures of a graded scorer marked as a guardrail', () => {
      const scorer = passRate('tone', { type: 'similarity', kind: 'mean', guardrail: true });
      const records = [0.9, 0.2, 0.7, 0.6].map((v, i) => record(`i${i}`, { tone: gradedScore(v) }));
      const m = metric(aggregate(plan([scorer]), records), 'tone');
      expect(m).toMatchObject({
        kind: 'failure_rate',
        value: 0.25,
        upper95: exactUpperBound(1, 4),
        passed: 3,
        failed: 1,
      });
    });

    it('have no upper bound with no items', () => {
      expect(metric(aggregate(plan([guardrail()]), []), 'pii')).toMatchObject({ value: null, upper95: null });
    });
  });

  describe('errored, unscored and not applicable items', () => {
    const scorers = [passRate('exact'), guardrail('pii'), graded('close')];

    it('counts an errored item in `errored` for every metric, never in n', () => {
      const summary = aggregate(plan(scorers), [
        record('a', { exact: PASS, pii: PASS, close: gradedScore(0.8) }),
        errored('b', 'timeout'),
        errored('c', 'rate_limited'),
        // Only `exact` applies to d.
        record('d', { exact: fail() }),
      ]);
      expect(summary.items).toEqual({ total: 4, scored: 2, errored: 2, epochs: 1 });
      expect(summary.metrics.map((m) => [m.name, m.n, m.errored, m.unscored])).toEqual([
        ['exact', 2, 2, 0],
        ['pii', 1, 2, 0],
        ['close', 1, 2, 0],
      ]);
      expect(metric(summary, 'exact')).toMatchObject({ value: 0.5, passed: 1, failed: 1 });
      expect(summary.operational.errorsByKind).toEqual({ timeout: 1, rate_limited: 1 });
    });

    it('counts unscored items apart, never as zeros', () => {
      const summary = aggregate(plan(scorers), [
        record('a', { exact: PASS, pii: PASS, close: gradedScore(0.8) }),
        record('b', { exact: UNSCORED, pii: PASS, close: UNSCORED }),
        record('c', { exact: UNSCORED, pii: fail(), close: gradedScore(0.4) }),
      ]);
      expect(summary.metrics.map((m) => [m.name, m.n, m.unscored, m.errored, m.value])).toEqual([
        ['exact', 1, 2, 0, 1],
        ['pii', 3, 0, 0, 1 / 3],
        ['close', 2, 1, 0, 0.6000000000000001],
      ]);
      expect(summary.items).toEqual({ total: 3, scored: 3, errored: 0, epochs: 1 });
    });

    it('leaves items a scorer does not apply to out of that metric entirely', () => {
      const summary = aggregate(plan(scorers), [
        record('a', { exact: PASS }),
        record('b', { exact: fail() }),
        record('c', {}),
      ]);
      expect(summary.metrics.map((m) => [m.name, m.n, m.unscored, m.errored, m.value, m.interval])).toEqual([
        ['exact', 2, 0, 0, 0.5, wilsonInterval(1, 2)],
        ['pii', 0, 0, 0, null, null],
        ['close', 0, 0, 0, null, null],
      ]);
      expect(summary.items).toEqual({ total: 3, scored: 3, errored: 0, epochs: 1 });
    });
  });

  describe('epochs', () => {
    // Four items over three epochs: a passes 2 of 3, b 1 of 3, c 3 of 3, d none.
    const epochVerdicts: Record<string, boolean[]> = {
      a: [true, true, false],
      b: [false, false, true],
      c: [true, true, true],
      d: [false, false, false],
    };
    const epochRecords = (order: [string, number][]): ItemRecord[] =>
      order.map(([id, epoch]) => record(id, { m: verdict(epochVerdicts[id][epoch - 1]) }, { epoch }));
    const inOrder: [string, number][] = ['a', 'b', 'c', 'd'].flatMap((id) =>
      [1, 2, 3].map((epoch): [string, number] => [id, epoch]),
    );
    // Out of order and interleaved across items.
    const shuffled: [string, number][] = [
      ['d', 3],
      ['a', 2],
      ['c', 1],
      ['b', 3],
      ['a', 1],
      ['d', 1],
      ['c', 3],
      ['b', 1],
      ['a', 3],
      ['b', 2],
      ['c', 2],
      ['d', 2],
    ];

    it.each<[AggregationPlan['reducer'], MetricSummary['kind'], number, number]>([
      // [reducer, kind, value, items passed]: per item a, b, c, d
      // mean: 2/3, 1/3, 1, 0 → 0.5; an item passes at ≥ 1/2; values are not 0/1, so a bootstrap mean.
      ['mean', 'mean', 0.5, 2],
      // all: 0, 0, 1, 0.
      ['all', 'pass_rate', 0.25, 1],
      // majority: 1, 0, 1, 0.
      ['majority', 'pass_rate', 0.5, 2],
      // pass_at_2 with n = 3: c passes ≥ 2 → 1 (n − c < k); 1 − C(2,2)/C(3,2) = 2/3 for b; 0 for d.
      ['pass_at_2', 'mean', (1 + 2 / 3 + 1 + 0) / 4, 3],
      // max: 1, 1, 1, 0; min: 0, 0, 1, 0; median: 1, 0, 1, 0.
      ['max', 'pass_rate', 0.75, 3],
      ['min', 'pass_rate', 0.25, 1],
      ['median', 'pass_rate', 0.5, 2],
    ])('reduce with %s', (reducer, kind, value, passed) => {
      const epochPlan = plan([passRate()], { epochs: 3, reducer });
      for (const order of [inOrder, shuffled]) {
        const summary = aggregate(epochPlan, epochRecords(order));
        const m = metric(summary);
        expect(summary.items).toEqual({ total: 4, scored: 4, errored: 0, epochs: 3 });
        expect(m.kind).toBe(kind);
        expect(m.value).toBeCloseTo(value, 12);
        expect([m.n, m.passed, m.failed]).toEqual([4, passed, 4 - passed]);
      }
    });

    it('reduces an item only once all its epochs have arrived', () => {
      const aggregator = new RunAggregator(plan([passRate()], { epochs: 3 }));
      aggregator.add(record('a', { m: PASS }, { epoch: 2 }));
      aggregator.add(record('b', { m: PASS }, { epoch: 1 }));
      aggregator.add(record('a', { m: PASS }, { epoch: 1 }));
      expect(aggregator.itemsCompleted).toBe(0);
      expect(aggregator.summary().items.total).toBe(0);
      expect(metric(aggregator.summary()).n).toBe(0);
      aggregator.add(record('a', { m: fail() }, { epoch: 3 }));
      expect(aggregator.itemsCompleted).toBe(1);
      expect(metric(aggregator.summary())).toMatchObject({ n: 1, passed: 1 });
      expect(metric(aggregator.summary()).value).toBeCloseTo(2 / 3, 12);
    });

    it('reduces over the scored epochs when some errored', () => {
      const summary = aggregate(plan([passRate()], { epochs: 3 }), [
        record('a', { m: PASS }, { epoch: 1 }),
        errored('a', 'server_error', { epoch: 2 }),
        record('a', { m: fail() }, { epoch: 3 }),
        errored('b', 'timeout', { epoch: 1 }),
        errored('b', 'timeout', { epoch: 2 }),
        errored('b', 'network', { epoch: 3 }),
      ]);
      expect(summary.items).toEqual({ total: 2, scored: 1, errored: 1, epochs: 3 });
      expect(metric(summary)).toMatchObject({ n: 1, passed: 1, errored: 1, value: 0.5 });
      expect(summary.operational.errorsByKind).toEqual({ server_error: 1, timeout: 2, network: 1 });
    });

    it('reduces over the graded epochs and counts an item unscored only when no epoch was graded', () => {
      const summary = aggregate(plan([passRate()], { epochs: 2 }), [
        record('a', { m: UNSCORED }, { epoch: 1 }),
        record('a', { m: fail() }, { epoch: 2 }),
        record('b', { m: UNSCORED }, { epoch: 1 }),
        record('b', { m: UNSCORED }, { epoch: 2 }),
      ]);
      expect(metric(summary)).toMatchObject({ n: 1, passed: 0, failed: 1, unscored: 1, value: 0 });
    });

    it.each<[number[], number, boolean]>([
      // Graded scores average their values; the item passes when most epochs passed.
      [[0.9, 0.6, 0.3], 0.6, true],
      [[0.9, 0.2, 0.3], 14 / 30, false],
      [[0.4, 0.45, 0.1], 0.95 / 3, false],
    ])('averages graded epochs %p → %d (passed: %p)', (values, value, passed) => {
      const summary = aggregate(
        plan([graded()], { epochs: 3, reducer: 'all' }),
        values.map((v, i) => record('a', { m: gradedScore(v) }, { epoch: i + 1 })),
      );
      expect(metric(summary).value).toBeCloseTo(value, 12);
      expect(metric(summary).passed).toBe(passed ? 1 : 0);
    });
  });

  describe('epochs that errored', () => {
    it('reduces pass_at_k over the epochs that were graded when some errored', () => {
      const summary = aggregate(plan([passRate()], { epochs: 3, reducer: 'pass_at_3' }), [
        record('x', { m: PASS }, { epoch: 1 }),
        record('x', { m: fail() }, { epoch: 2 }),
        errored('x', 'timeout', { epoch: 3 }),
      ]);
      // Two graded epochs, one passed: pass@2 of (n = 2, c = 1) is 1.
      expect(metric(summary)).toMatchObject({ n: 1, value: 1, errored: 0 });
    });
  });

  describe('group breakdowns', () => {
    // north: 4 items, all pass; south: 3 items, 1 passes; east: 1 item, fails; one item has no region.
    const regions: [string, string | null, boolean][] = [
      ['n1', 'north', true],
      ['s1', 'south', false],
      ['n2', 'north', true],
      ['e1', 'east', false],
      ['s2', 'south', true],
      ['x1', null, true],
      ['n3', 'north', true],
      ['s3', 'south', false],
      ['n4', 'north', true],
    ];
    const regionRecords = (name = 'm') =>
      regions.map(([id, region, passed]) =>
        record(id, { [name]: verdict(passed) }, { groups: region === null ? {} : { region } }),
      );

    it('reports each group, small groups and the largest gap between large enough groups', () => {
      const summary = aggregate(
        plan([passRate()], { groupBy: ['region'], minGroupSize: 3 }),
        regionRecords(),
      );
      const m = metric(summary);
      expect(m).toMatchObject({ n: 9, passed: 6 });
      expect(m.groups).toHaveLength(1);
      const [breakdown] = m.groups;
      expect(breakdown).toMatchObject({
        key: 'region',
        groups: [
          { group: 'east', n: 1, value: 0, interval: wilsonInterval(0, 1) },
          { group: 'north', n: 4, value: 1, interval: wilsonInterval(4, 4) },
          { group: 'south', n: 3, value: 1 / 3, interval: wilsonInterval(1, 3) },
        ],
        smallGroups: ['east'],
        maxGap: { between: ['north', 'south'] },
      });
      expect(breakdown.maxGap?.value).toBeCloseTo(2 / 3, 12);
      expect(breakdown.maxGap?.interval).toMatchObject({ level: 0.95, method: 'bootstrap' });
      expect(breakdown.maxGap?.interval.lower).toBeLessThanOrEqual(breakdown.maxGap?.interval.upper ?? -1);
    });

    it('reports guardrail groups as failure rates', () => {
      const summary = aggregate(
        plan([guardrail()], { groupBy: ['region'], minGroupSize: 3 }),
        regionRecords('pii'),
      );
      const [breakdown] = metric(summary, 'pii').groups;
      expect(breakdown.groups.map((g) => [g.group, g.n, g.value])).toEqual([
        ['east', 1, 1],
        ['north', 4, 0],
        ['south', 3, 2 / 3],
      ]);
      expect(breakdown.maxGap?.between).toEqual(['south', 'north']);
    });

    it('has no gap when fewer than two groups are large enough', () => {
      const summary = aggregate(
        plan([passRate()], { groupBy: ['region'], minGroupSize: 4 }),
        regionRecords(),
      );
      const [breakdown] = metric(summary).groups;
      expect(breakdown.smallGroups).toEqual(['east', 'south']);
      expect(breakdown.maxGap).toBeNull();
      expect(breakdown.groups).toHaveLength(3);
    });

    it('reports graded groups as means with bootstrap intervals', () => {
      const summary = aggregate(plan([graded()], { groupBy: ['sex'], minGroupSize: 2 }), [
        record('a', { m: gradedScore(0.8) }, { groups: { sex: 'f' } }),
        record('b', { m: gradedScore(0.2) }, { groups: { sex: 'm' } }),
        record('c', { m: gradedScore(0.6) }, { groups: { sex: 'f' } }),
        record('d', { m: gradedScore(0.4) }, { groups: { sex: 'm' } }),
      ]);
      const [breakdown] = metric(summary).groups;
      expect(breakdown.groups.map((g) => [g.group, g.n, g.value, g.interval.method])).toEqual([
        ['f', 2, 0.7, 'bootstrap'],
        ['m', 2, 0.30000000000000004, 'bootstrap'],
      ]);
      expect(breakdown.maxGap?.value).toBeCloseTo(0.4, 12);
      expect(breakdown.maxGap?.between).toEqual(['f', 'm']);
    });

    it('keeps one breakdown per groupBy key and drops keys no item has', () => {
      const summary = aggregate(
        plan([passRate()], { groupBy: ['region', 'age_band', 'channel'], minGroupSize: 1 }),
        [
          record('a', { m: PASS }, { groups: { region: 'north', channel: 'web' } }),
          record('b', { m: fail() }, { groups: { region: 'south', channel: 'web' } }),
          record('c', { m: PASS }, { groups: { region: 'south', channel: 'phone' } }),
        ],
      );
      const m = metric(summary);
      expect(m.groups.map((g) => g.key)).toEqual(['region', 'channel']);
      expect(m.groups[0].groups.map((g) => [g.group, g.n, g.value])).toEqual([
        ['north', 1, 1],
        ['south', 2, 0.5],
      ]);
      expect(m.groups[1].groups.map((g) => [g.group, g.n, g.value])).toEqual([
        ['phone', 1, 1],
        ['web', 2, 0.5],
      ]);
    });

    it('takes an item’s groups from its records across epochs', () => {
      const summary = aggregate(plan([passRate()], { epochs: 2, groupBy: ['region'], reducer: 'all' }), [
        record('a', { m: PASS }, { epoch: 1, groups: { region: 'north' } }),
        record('b', { m: PASS }, { epoch: 1, groups: { region: 'south' } }),
        record('a', { m: PASS }, { epoch: 2, groups: { region: 'north' } }),
        record('b', { m: fail() }, { epoch: 2, groups: { region: 'south' } }),
      ]);
      expect(metric(summary).groups[0].groups.map((g) => [g.group, g.n, g.value])).toEqual([
        ['north', 1, 1],
        ['south', 1, 0],
      ]);
    });
  });

  describe('classification', () => {
    const classifier = passRate('routing', { type: 'classification', labels: ['pip', 'universal_credit'] });
    const classified = (id: string, expected: string, predicted: string | null): ItemRecord =>
      record(id, {
        routing: {
          value: predicted === expected ? 1 : 0,
          passed: predicted === expected,
          label: predicted,
          expectedLabel: expected,
        },
      });

    it('reports the confusion matrix and per-class figures', () => {
      const pairs: [string, string | null][] = [
        ['pip', 'pip'],
        ['pip', 'universal_credit'],
        ['universal_credit', 'universal_credit'],
        ['universal_credit', null],
        ['universal_credit', 'universal_credit'],
      ];
      const summary = aggregate(plan([classifier]), [
        ...pairs.map(([e, p], i) => classified(`i${i}`, e, p)),
        record('u', { routing: UNSCORED }),
        errored('x'),
      ]);
      const m = metric(summary, 'routing');
      expect(m).toMatchObject({ kind: 'pass_rate', value: 0.6, n: 5, unscored: 1, errored: 1 });
      expect(m.classification).toEqual({
        labels: ['pip', 'universal_credit', '(none)'],
        confusion: [
          [1, 1, 0],
          [0, 2, 1],
          [0, 0, 0],
        ],
        perClass: [
          { label: 'pip', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
          { label: 'universal_credit', precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 },
        ],
        macroF1: 2 / 3,
      });
      expect(m.classification).toEqual(
        classificationReport(
          pairs.map(([expected, predicted]) => ({ expected, predicted })),
          ['pip', 'universal_credit'],
        ),
      );
    });

    it('reports an empty classification with no scored items, and none for other metrics', () => {
      const summary = aggregate(plan([classifier, passRate()]), [record('a', { m: PASS })]);
      expect(metric(summary, 'routing').classification).toEqual({
        labels: ['pip', 'universal_credit'],
        confusion: [
          [0, 0],
          [0, 0],
        ],
        perClass: [
          { label: 'pip', precision: null, recall: null, f1: null, support: 0 },
          { label: 'universal_credit', precision: null, recall: null, f1: null, support: 0 },
        ],
        macroF1: null,
      });
      expect(metric(summary).classification).toBeNull();
    });
  });

  describe('arrival order', () => {
    it('gives the same pass-rate, guardrail and classification results whatever order items arrive in, given their sequence', () => {
      const classifier = passRate('routing', { type: 'classification', labels: ['a', 'b'] });
      const scorers = [passRate(), guardrail(), classifier];
      const records = Array.from({ length: 12 }, (_, i) =>
        record(`i${i}`, {
          m: verdict(i % 3 !== 0),
          pii: verdict(i !== 5),
          routing: {
            value: i % 4 === 0 ? 0 : 1,
            passed: i % 4 !== 0,
            label: i % 4 === 0 ? 'b' : 'a',
            expectedLabel: 'a',
          },
        }),
      );
      const summaries = [records, [...records].reverse()].map((ordered) => {
        const aggregator = new RunAggregator(plan(scorers));
        ordered.forEach((r) => aggregator.add(r, undefined, Number(r.itemId.slice(1))));
        return aggregator.summary();
      });
      expect(summaries[1]).toEqual(summaries[0]);
      expect(metric(summaries[0])).toMatchObject({ value: 8 / 12, n: 12 });
    });

    it('keeps each value with its own group, and graded intervals, whatever the arrival order', () => {
      const values = [0.1, 0.2, 0.9, 0.95, 0.3, 0.7];
      const records = values.map((v, i) =>
        record(
          `i${i}`,
          { m: gradedScore(v), p: verdict(i % 2 === 0) },
          { groups: { g: i % 2 === 0 ? 'A' : 'B' } },
        ),
      );
      const summaries = [records, [...records].reverse()].map((ordered) => {
        const aggregator = new RunAggregator(
          plan([graded('m'), passRate('p')], { groupBy: ['g'], minGroupSize: 1 }),
        );
        ordered.forEach((r) => aggregator.add(r, undefined, Number(r.itemId.slice(1))));
        return aggregator.summary();
      });
      expect(summaries[1]).toEqual(summaries[0]);
      const byGroup = metric(summaries[1], 'p').groups[0].groups.map((g) => [g.group, g.value]);
      expect(byGroup).toEqual([
        ['A', 1],
        ['B', 0],
      ]);
    });
  });

  describe('operational figures', () => {
    it('summarises latency, duration, tokens, cost, retries and errors', () => {
      const summary = aggregate(plan([passRate()]), [
        record(
          'a',
          { m: PASS },
          { latencyMs: 100, durationMs: 150, attempts: 1, inputTokens: 10, outputTokens: 5, costUsd: 0.1 },
        ),
        record(
          'b',
          { m: PASS },
          { latencyMs: 300, durationMs: 400, attempts: 3, inputTokens: 20, outputTokens: null, costUsd: 0.2 },
        ),
        record(
          'c',
          { m: fail() },
          { latencyMs: 200, durationMs: 350, attempts: 2, inputTokens: null, outputTokens: null },
        ),
        errored('d', 'timeout', { durationMs: 5000, attempts: 5 }),
        errored('e', 'rate_limited', { durationMs: 6000, attempts: 5 }),
      ]);
      expect(summary.operational).toEqual({
        // Only successful calls: [100, 200, 300]; p95 = 200 + 0.9 · 100, p99 = 200 + 0.98 · 100.
        providerLatencyMs: { p50: 200, p95: 290, p99: 298, mean: 200 },
        // Every item: [150, 350, 400, 5000, 6000]; p95 = 5000 + 0.8 · 1000, p99 = 5000 + 0.96 · 1000.
        itemDurationMs: { p50: 400, p95: 5800, p99: 5960, mean: 2380 },
        inputTokens: 30,
        outputTokens: 5,
        // 0.1 + 0.2, rounded to six places.
        costUsd: 0.3,
        // attempts − 1 per record: 0 + 2 + 1 + 4 + 4.
        retries: 11,
        errorsByKind: { timeout: 1, rate_limited: 1 },
        errors: [
          { kind: 'rate_limited', count: 1, share: 0.2, message: 'rate_limited calling the target' },
          { kind: 'timeout', count: 1, share: 0.2, message: 'timeout calling the target' },
        ],
        // No record said what caused its retries.
        retriesByKind: {},
        rateLimit: { pauses: 0, pauseSeconds: 0 },
      });
    });

    it('gives each error kind its count, share and most common message, secrets removed', () => {
      const key = (message: string) => ({ kind: 'client_error' as const, message, status: 401 });
      const summary = aggregate(plan([passRate()]), [
        errored('a', 'client_error', {
          error: key('refused (401): Incorrect API key provided: sk-abcdef123456.'),
        }),
        errored('b', 'client_error', {
          error: key('refused (401): Incorrect API key provided: sk-abcdef123456.'),
        }),
        errored('c', 'client_error', { error: key('refused (401): something else') }),
        errored('d', 'network', {
          error: { kind: 'network', message: `connection failed: ${'x'.repeat(400)}`, code: 'ECONNRESET' },
        }),
        record('e', { m: PASS }),
      ]);
      expect(summary.operational.errors).toEqual([
        {
          kind: 'client_error',
          count: 3,
          share: 0.6,
          message: 'refused (401): Incorrect API key provided: [redacted].',
        },
        { kind: 'network', count: 1, share: 0.2, message: expect.stringMatching(/^connection failed: x+…$/) },
      ]);
      expect(summary.operational.errors?.[1].message).toHaveLength(300);
    });

    it('sums retries by cause and the 429 pauses', () => {
      const summary = aggregate(plan([passRate()]), [
        record(
          'a',
          { m: PASS },
          { attempts: 3, retries: { byKind: { rate_limited: 2 }, rateLimitWaitMs: 1500 } },
        ),
        record(
          'b',
          { m: PASS },
          { attempts: 3, retries: { byKind: { rate_limited: 1, server_error: 1 }, rateLimitWaitMs: 1000.4 } },
        ),
        errored('c', 'network', { attempts: 2, retries: { byKind: { network: 1 }, rateLimitWaitMs: 0 } }),
      ]);
      expect(summary.operational).toMatchObject({
        retries: 5,
        retriesByKind: { rate_limited: 3, server_error: 1, network: 1 },
        rateLimit: { pauses: 3, pauseSeconds: 2.5 },
      });
    });

    it('reports no cost when no record has a price, and a zero cost when it is known to be zero', () => {
      expect(aggregate(plan([passRate()]), [record('a', { m: PASS })]).operational.costUsd).toBeNull();
      expect(
        aggregate(plan([passRate()]), [
          record('a', { m: PASS }, { costUsd: 0 }),
          record('b', { m: PASS }, { costUsd: null }),
        ]).operational.costUsd,
      ).toBe(0);
    });

    it('rounds the cost to six places', () => {
      const summary = aggregate(plan([passRate()]), [
        record('a', { m: PASS }, { costUsd: 0.1234567 }),
        record('b', { m: PASS }, { costUsd: 0.0000001 }),
      ]);
      expect(summary.operational.costUsd).toBe(0.123457);
    });

    it('counts every epoch’s call', () => {
      const summary = aggregate(plan([passRate()], { epochs: 2 }), [
        record('a', { m: PASS }, { epoch: 1, latencyMs: 10, attempts: 2, costUsd: 0.5 }),
        record('a', { m: PASS }, { epoch: 2, latencyMs: 30, attempts: 1, costUsd: 0.25 }),
      ]);
      expect(summary.operational).toMatchObject({
        providerLatencyMs: { p50: 20, mean: 20 },
        retries: 1,
        costUsd: 0.75,
        inputTokens: 20,
      });
    });

    it('has empty percentiles with no records', () => {
      const { operational } = aggregate(plan([passRate()]), []);
      expect(operational).toEqual({
        providerLatencyMs: { p50: null, p95: null, p99: null, mean: null },
        itemDurationMs: { p50: null, p95: null, p99: null, mean: null },
        inputTokens: 0,
        outputTokens: 0,
        costUsd: null,
        retries: 0,
        errorsByKind: {},
        errors: [],
        retriesByKind: {},
        rateLimit: { pauses: 0, pauseSeconds: 0 },
      });
    });
  });

  describe('failure examples', () => {
    it('keeps what a reviewer needs for each failure', () => {
      const aggregator = new RunAggregator(plan([passRate(), guardrail()]));
      aggregator.add(
        record('a', { m: fail('expected "yes"'), pii: PASS }, { groups: { region: 'north' }, output: 'no' }),
        datasetItem('a', { expected: 'yes' }),
      );
      aggregator.add(
        record(
          'b',
          { m: PASS, pii: fail('personal data in the answer: email jo@e******.***') },
          { output: 'jo@example.com' },
        ),
        datasetItem('b', {
          input: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'What is my email?' },
          ],
          expected: { answer: 'I cannot share that' },
        }),
      );
      aggregator.add(
        record('c', { m: fail('no match') }, { output: 'c' }),
        datasetItem('c', { expected: undefined }),
      );
      expect(aggregator.failures()).toEqual([
        {
          itemId: 'a',
          epoch: 1,
          metric: 'm',
          input: 'question a',
          output: 'no',
          expected: 'yes',
          explanation: 'expected "yes"',
          group: { region: 'north' },
        },
        {
          itemId: 'c',
          epoch: 1,
          metric: 'm',
          input: 'question c',
          output: 'c',
          expected: null,
          explanation: 'no match',
          group: {},
        },
        {
          itemId: 'b',
          epoch: 1,
          metric: 'pii',
          input: 'system: Be brief.\nuser: What is my email?',
          output: 'jo@example.com',
          expected: '{"answer":"I cannot share that"}',
          explanation: 'personal data in the answer: email jo@e******.***',
          group: {},
        },
      ]);
    });

    it.each<[number | undefined, number]>([
      [2, 2],
      [0, 0],
      [undefined, 25],
      [50, 30],
    ])('keeps at most examplesPerMetric (%p) failures per metric', (examplesPerMetric, kept) => {
      const aggregator = new RunAggregator(plan([passRate('x'), passRate('y')], { examplesPerMetric }));
      for (let i = 0; i < 30; i++) {
        aggregator.add(record(`i${i}`, { x: fail(), y: fail() }), datasetItem(`i${i}`));
      }
      aggregator.add(record('ok', { x: PASS, y: PASS }), datasetItem('ok'));
      const failures = aggregator.failures();
      expect(failures.filter((f) => f.metric === 'x')).toHaveLength(kept);
      expect(failures.filter((f) => f.metric === 'y')).toHaveLength(kept);
      expect(failures.filter((f) => f.metric === 'x').map((f) => f.itemId)).toEqual(
        Array.from({ length: kept }, (_, i) => `i${i}`),
      );
      // The cap is on examples only: every failure still counts.
      expect(metric(aggregator.summary(), 'x')).toMatchObject({ n: 31, failed: 30 });
    });

    it('keeps no example without the dataset item, for passes or for unscored items', () => {
      const aggregator = new RunAggregator(plan([passRate()]));
      aggregator.add(record('a', { m: fail() }));
      aggregator.add(record('b', { m: PASS }), datasetItem('b'));
      aggregator.add(record('c', { m: UNSCORED }), datasetItem('c'));
      aggregator.add(errored('d'), datasetItem('d'));
      expect(aggregator.failures()).toEqual([]);
    });

    it('shows the failing epoch of an item', () => {
      const aggregator = new RunAggregator(plan([passRate()], { epochs: 3 }));
      aggregator.add(record('a', { m: PASS }, { epoch: 1, output: 'right' }), datasetItem('a'));
      aggregator.add(record('a', { m: fail('off topic') }, { epoch: 3, output: 'wrong' }), datasetItem('a'));
      aggregator.add(record('a', { m: PASS }, { epoch: 2, output: 'right again' }), datasetItem('a'));
      expect(aggregator.failures()).toEqual([
        expect.objectContaining({ itemId: 'a', epoch: 3, output: 'wrong', explanation: 'off topic' }),
      ]);
    });
  });

  describe('weighted score', () => {
    it('weights metric values, leaving out guardrails, zero weights and metrics without a value', () => {
      const summary = aggregate(
        plan([
          passRate('exact'),
          passRate('close', { type: 'similarity', kind: 'mean', weight: 3 }),
          passRate('ignored', { weight: 0 }),
          guardrail('pii'),
          passRate('unused', { weight: 5 }),
        ]),
        [
          record('a', { exact: PASS, close: gradedScore(0.6), ignored: PASS, pii: fail() }),
          record('b', { exact: fail(), close: gradedScore(0.2), ignored: PASS, pii: fail() }),
        ],
      );
      // exact 0.5 × 1 and close 0.4 × 3, over weights 4.
      expect(summary.weightedScore).toBeCloseTo((0.5 + 0.4 * 3) / 4, 12);
    });

    it('is null when no weighted metric has a value', () => {
      expect(
        aggregate(plan([passRate(), guardrail()]), [record('a', { pii: PASS })]).weightedScore,
      ).toBeNull();
    });
  });

  describe('judge agreement', () => {
    it('reports Krippendorff’s alpha over panel ratings', () => {
      const ratings = [
        [4, 4, 5],
        [2, 2, 2],
        [5, 4, null],
        [1, 2, 1],
      ];
      const summary = aggregate(
        plan([graded('judge')]),
        ratings.map((r, i) => record(`i${i}`, { judge: { value: 0.5, passed: true, ratings: r } })),
      );
      expect(metric(summary, 'judge').agreement).toEqual({
        alpha: krippendorffAlphaNominal(ratings.map((r) => r.map((x) => (x === null ? null : String(x))))),
        judges: 3,
      });
    });

    it('has no agreement for a single judge', () => {
      const summary = aggregate(plan([graded('judge')]), [
        record('a', { judge: { value: 0.5, passed: true, ratings: [3] } }),
      ]);
      expect(metric(summary, 'judge').agreement).toBeNull();
    });
  });
});
