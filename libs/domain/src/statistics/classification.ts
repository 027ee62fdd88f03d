import { type ClassificationReport } from '../evaluation/run-summary';

/** The column for predictions that are null or not among the labels. */
export const NO_LABEL = '(none)';

/**
 * Confusion matrix and per-class precision, recall and F1 of predicted against expected labels. Labels are
 * `labels` in that order (duplicates dropped), or else the sorted labels seen (expected or predicted). A prediction that is
 * null or outside `labels` is counted in a `(none)` column, appended (with an all-zero row) only when
 * needed: it is wrong for the expected class's recall and counts for no class's precision. Precision is
 * null for a class never predicted, recall for a class never expected; F1 = 2TP/(2TP + FP + FN), null only
 * for a class neither expected nor predicted. Macro-F1 averages F1 over classes with support > 0 (null if
 * none). Throws a RangeError for an expected label outside `labels` or a class named `(none)`.
 */
export function classificationReport(
  pairs: readonly { expected: string; predicted: string | null }[],
  labels?: readonly string[],
): ClassificationReport {
  const classes = labels
    ? [...new Set(labels)]
    : [
        ...new Set(pairs.flatMap((p) => (p.predicted === null ? [p.expected] : [p.expected, p.predicted]))),
      ].sort();
  if (classes.includes(NO_LABEL)) {
    throw new RangeError(`${NO_LABEL} is reserved for missing predictions and cannot be a class label`);
  }
  const index = new Map(classes.map((label, i) => [label, i]));
  const none = classes.length;
  const confusion = Array.from({ length: classes.length + 1 }, () =>
    new Array<number>(classes.length + 1).fill(0),
  );
  for (const { expected, predicted } of pairs) {
    const row = index.get(expected);
    if (row === undefined) {
      throw new RangeError(`expected label ${expected} is not one of the labels`);
    }
    const column = predicted === null ? none : (index.get(predicted) ?? none);
    confusion[row][column] += 1;
  }
  const perClass = classes.map((label, i) => {
    const truePositives = confusion[i][i];
    const support = confusion[i].reduce((sum, count) => sum + count, 0);
    const predictedCount = confusion.reduce((sum, row) => sum + row[i], 0);
    return {
      label,
      precision: predictedCount === 0 ? null : truePositives / predictedCount,
      recall: support === 0 ? null : truePositives / support,
      f1: support + predictedCount === 0 ? null : (2 * truePositives) / (support + predictedCount),
      support,
    };
  });
  const supported = perClass.filter((c) => c.support > 0);
  const hasNone = confusion.some((row) => row[none] > 0);
  return {
    labels: hasNone ? [...classes, NO_LABEL] : classes,
    confusion: hasNone ? confusion : confusion.slice(0, none).map((row) => row.slice(0, none)),
    perClass,
    macroF1:
      supported.length === 0 ? null : supported.reduce((sum, c) => sum + (c.f1 ?? 0), 0) / supported.length,
  };
}
