/**
 * Cohen's kappa: the agreement of two raters on the same units, beyond what their marginal rates would
 * give by chance. `table[i][j]` counts the units the first rater put in category i and the second in
 * category j (a square table of non-negative counts). With n units, p_o = Σ table[i][i] / n and
 * p_e = Σ (row_i / n)(column_i / n): kappa = (p_o − p_e) / (1 − p_e). Null when undefined: no units, or
 * p_e = 1 (both raters used one and the same category throughout, so chance explains all agreement).
 */
export function cohensKappa(table: readonly (readonly number[])[]): number | null {
  const size = table.length;
  const rows = new Array<number>(size).fill(0);
  const columns = new Array<number>(size).fill(0);
  let n = 0;
  let diagonal = 0;
  table.forEach((row, i) => {
    if (row.length !== size) {
      throw new RangeError(`kappa needs a square table: row ${i} has ${row.length} cells, not ${size}`);
    }
    row.forEach((count, j) => {
      if (!Number.isFinite(count) || count < 0) {
        throw new RangeError(`kappa counts must be finite and non-negative, got ${count} at [${i}][${j}]`);
      }
      rows[i] += count;
      columns[j] += count;
      n += count;
      if (i === j) {
        diagonal += count;
      }
    });
  });
  if (n === 0) {
    return null;
  }
  let chance = 0;
  for (let i = 0; i < size; i++) {
    chance += (rows[i] / n) * (columns[i] / n);
  }
  return kappaOf(diagonal / n, chance);
}

/**
 * Cohen's kappa of two raters' pass/fail readings, from the four cells of their 2×2 table: `bothPass`,
 * `firstOnly` (the first passes, the second fails), `secondOnly`, `bothFail`. The same value as
 * cohensKappa([[bothPass, firstOnly], [secondOnly, bothFail]]) with no allocation (for bootstrap loops).
 */
export function cohensKappaBinary(
  bothPass: number,
  firstOnly: number,
  secondOnly: number,
  bothFail: number,
): number | null {
  const n = bothPass + firstOnly + secondOnly + bothFail;
  if (n === 0) {
    return null;
  }
  const firstPass = (bothPass + firstOnly) / n;
  const secondPass = (bothPass + secondOnly) / n;
  const chance = firstPass * secondPass + (1 - firstPass) * (1 - secondPass);
  return kappaOf((bothPass + bothFail) / n, chance);
}

function kappaOf(observed: number, chance: number): number | null {
  // p_e = 1 up to rounding: both raters gave a single category; kappa is 0/0.
  return chance >= 1 - 1e-12 ? null : (observed - chance) / (1 - chance);
}
