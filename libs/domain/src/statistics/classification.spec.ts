import { classificationReport } from './classification';

const pairs = (
  expected: string[],
  predicted: (string | null)[],
): { expected: string; predicted: string | null }[] =>
  expected.map((e, i) => ({ expected: e, predicted: predicted[i] }));

describe('classificationReport', () => {
  // scikit-learn's classification_report documentation example: y_true [0, 1, 2, 2, 2], y_pred
  // [0, 0, 2, 2, 1] gives precision 0.50/0.00/1.00, recall 1.00/0.00/0.67, F1 0.67/0.00/0.80, macro F1 0.49.
  it('reproduces the scikit-learn example', () => {
    const report = classificationReport(pairs(['a', 'b', 'c', 'c', 'c'], ['a', 'a', 'c', 'c', 'b']));
    expect(report.labels).toEqual(['a', 'b', 'c']);
    expect(report.confusion).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 1, 2],
    ]);
    const rounded = report.perClass.map((c) => ({
      ...c,
      precision: c.precision === null ? null : Number(c.precision.toFixed(2)),
      recall: c.recall === null ? null : Number(c.recall.toFixed(2)),
      f1: c.f1 === null ? null : Number(c.f1.toFixed(2)),
    }));
    expect(rounded).toEqual([
      { label: 'a', precision: 0.5, recall: 1, f1: 0.67, support: 1 },
      { label: 'b', precision: 0, recall: 0, f1: 0, support: 1 },
      { label: 'c', precision: 1, recall: 0.67, f1: 0.8, support: 3 },
    ]);
    expect(report.macroF1).toBeCloseTo((2 / 3 + 0 + 0.8) / 3, 12);
  });

  it('counts null and unknown predictions in a (none) column, wrong for recall', () => {
    const report = classificationReport(pairs(['yes', 'yes', 'no', 'no'], ['yes', null, 'maybe', 'no']), [
      'yes',
      'no',
    ]);
    expect(report.labels).toEqual(['yes', 'no', '(none)']);
    expect(report.confusion).toEqual([
      [1, 0, 1],
      [0, 1, 1],
      [0, 0, 0],
    ]);
    expect(report.perClass).toEqual([
      { label: 'yes', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
      { label: 'no', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
    ]);
    expect(report.macroF1).toBeCloseTo(2 / 3, 12);
  });

  it('leaves precision null for a class never predicted, and F1 null for a class never seen', () => {
    const report = classificationReport(pairs(['a', 'b'], ['a', 'a']), ['a', 'b', 'c']);
    expect(report.perClass).toEqual([
      { label: 'a', precision: 0.5, recall: 1, f1: 2 / 3, support: 1 },
      { label: 'b', precision: null, recall: 0, f1: 0, support: 1 },
      { label: 'c', precision: null, recall: null, f1: null, support: 0 },
    ]);
    // Macro-F1 over a and b (support > 0): (2/3 + 0) / 2.
    expect(report.macroF1).toBeCloseTo(1 / 3, 12);
  });

  it('derives sorted labels from expected and predicted values', () => {
    const report = classificationReport(pairs(['b', 'a'], ['c', 'a']));
    expect(report.labels).toEqual(['a', 'b', 'c']);
    expect(report.perClass.map((c) => c.support)).toEqual([1, 1, 0]);
  });

  it('is empty with no pairs', () => {
    expect(classificationReport([])).toEqual({ labels: [], confusion: [], perClass: [], macroF1: null });
  });

  it.each<[string, { expected: string; predicted: string | null }[], string[] | undefined]>([
    ['an expected label outside the labels', pairs(['z'], ['a']), ['a']],
    ['a class named (none)', pairs(['(none)'], ['a']), undefined],
  ])('rejects %s', (_, data, labels) => {
    expect(() => classificationReport(data, labels)).toThrow(RangeError);
  });
});
