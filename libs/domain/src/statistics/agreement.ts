/**
 * Krippendorff's alpha for nominal data. Each unit lists the value each judge gave (null = missing); units
 * with fewer than two values are not pairable and are skipped. With n pairable values, o_cc the diagonal
 * of the coincidence matrix (Σ over units of m_uc(m_uc − 1)/(m_u − 1)) and n_c its marginals,
 * alpha = 1 − (n − 1)(n − Σ o_cc) / (n² − Σ n_c²). Null when undefined: fewer than two pairable values,
 * or every pairable value the same (no expected disagreement).
 */
export function krippendorffAlphaNominal(units: readonly (readonly (string | null)[])[]): number | null {
  let n = 0;
  let agreeing = 0;
  const marginals = new Map<string, number>();
  for (const unit of units) {
    const values = unit.filter((v): v is string => v !== null);
    if (values.length < 2) {
      continue;
    }
    const counts = new Map<string, number>();
    for (const v of values) {
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    for (const [value, count] of counts) {
      agreeing += (count * (count - 1)) / (values.length - 1);
      marginals.set(value, (marginals.get(value) ?? 0) + count);
    }
    n += values.length;
  }
  let squares = 0;
  for (const count of marginals.values()) {
    squares += count * count;
  }
  const expected = n * n - squares;
  return n < 2 || expected === 0 ? null : 1 - ((n - 1) * (n - agreeing)) / expected;
}
