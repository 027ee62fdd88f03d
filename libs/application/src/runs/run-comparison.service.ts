import {
  type Actor,
  comparePairedPassFail,
  comparePairedScores,
  DomainError,
  type MetricComparison,
} from '@gatehouse/domain';
import { describeScorers, suiteDefinitionOf } from '@gatehouse/evals';
import {
  type EvaluationRunEntity,
  RunRepository,
  type StoredScore,
  storedManifest,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { loadVisibleRun } from './run-access';
import { type RunView, toRunView } from './runs.views';

/** What a paired comparison reads of a run row. */
export type ComparedRun = Pick<EvaluationRunEntity, 'id' | 'suiteId' | 'manifest'>;

/**
 * Paired comparisons of two runs on the same items, metric by metric (B against the baseline A): McNemar's
 * exact test for pass/fail metrics, a paired bootstrap for scores. The API's compare, and the gates'
 * comparison evidence.
 */
@Injectable()
export class RunComparisonService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly runs: RunRepository,
  ) {}

  /** Both runs as the actor may see them, and the comparison of B against the baseline A. */
  async compare(
    actor: Actor,
    baselineId: string,
    candidateId: string,
    alpha = 0.05,
  ): Promise<{ baseline: RunView; candidate: RunView; metrics: MetricComparison[] }> {
    return this.uow.read(async (tx) => {
      const { run: a } = await loadVisibleRun(this.runs, tx, actor, baselineId);
      const { run: b } = await loadVisibleRun(this.runs, tx, actor, candidateId);
      const metrics = await this.pairedMetrics(tx, a, b, alpha);
      return { baseline: toRunView(a), candidate: toRunView(b), metrics };
    });
  }

  /**
   * The paired comparison of two runs' scored items, metric by metric (B against the baseline A). Reads
   * the item rows; the gates cache its result, since completed runs never change. Runs on different
   * datasets are refused (a validation error).
   */
  async pairedMetrics(tx: Tx, a: ComparedRun, b: ComparedRun, alpha = 0.05): Promise<MetricComparison[]> {
    const manifestA = storedManifest(a);
    const manifestB = storedManifest(b);
    if (manifestA.dataset.hash !== manifestB.dataset.hash) {
      throw DomainError.validation([
        {
          field: 'candidate',
          message: 'ran on a different dataset: a paired comparison needs the same items',
          code: 'incomparable',
        },
      ]);
    }
    const definition = suiteDefinitionOf(await this.runs.suiteOf(tx, a));
    const scorers = describeScorers(definition.scorers);
    const [rowsA, rowsB] = await Promise.all([a, b].map((run) => this.runs.scoredItems(tx, run.id)));
    return scorers
      .filter((s) => manifestB.scorers.some((x) => x.name === s.name))
      .map((scorer): MetricComparison => {
        const itemsA = perItem(rowsA, scorer.name);
        const itemsB = perItem(rowsB, scorer.name);
        const ids = [...itemsA.keys()].filter((id) => itemsB.has(id));
        const binary =
          scorer.kind === 'pass_rate' &&
          ids.every((id) => isBinary(itemsA.get(id)?.passed) && isBinary(itemsB.get(id)?.passed));
        if (binary) {
          const result = comparePairedPassFail(
            ids.map((id) => ({ a: itemsA.get(id)?.passed === 1, b: itemsB.get(id)?.passed === 1 })),
            { seed: 1 },
          );
          return {
            metric: scorer.name,
            test: result.test,
            n: result.n,
            baseline: result.aRate,
            candidate: result.bRate,
            difference: result.difference,
            interval: result.interval,
            pValue: result.pValue,
            verdict: verdict(result.difference, result.pValue, alpha),
          };
        }
        const result = comparePairedScores(
          ids.map((id) => ({ a: itemsA.get(id)?.value ?? 0, b: itemsB.get(id)?.value ?? 0 })),
          { seed: 1 },
        );
        return {
          metric: scorer.name,
          test: result.test,
          n: result.n,
          baseline: result.meanA,
          candidate: result.meanB,
          difference: result.difference,
          interval: result.interval,
          pValue: result.pValue,
          verdict: verdict(result.difference, result.pValue, alpha),
        };
      });
  }
}

/** Each item's pass rate and mean value on one metric over its epochs (items the metric did not judge are left out). */
function perItem(
  rows: { itemId: string; scores: Record<string, StoredScore> }[],
  metric: string,
): Map<string, { passed: number; value: number }> {
  const sums = new Map<string, { passed: number; value: number; n: number }>();
  for (const row of rows) {
    const score = row.scores[metric];
    if (!score || score.passed === null) {
      continue;
    }
    const entry = sums.get(row.itemId) ?? { passed: 0, value: 0, n: 0 };
    entry.passed += score.passed ? 1 : 0;
    entry.value += score.value ?? 0;
    entry.n += 1;
    sums.set(row.itemId, entry);
  }
  return new Map([...sums].map(([id, e]) => [id, { passed: e.passed / e.n, value: e.value / e.n }]));
}

const isBinary = (value: number | undefined) => value === 0 || value === 1;

function verdict(difference: number | null, pValue: number, alpha: number): MetricComparison['verdict'] {
  if (difference === null || pValue >= alpha) {
    return 'no_difference';
  }
  return difference < 0 ? 'worse' : 'better';
}
