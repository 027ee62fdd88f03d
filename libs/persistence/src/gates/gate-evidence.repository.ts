import {
  type MetricComparison,
  type RunEvidence,
  type RunSummary,
  type StoredRunReport,
} from '@gatehouse/domain';
import { In } from 'typeorm';
import { EvaluationRunEntity, RunComparisonEntity, SuiteEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** A completed run's small columns, as gate evidence (its summary and hash are read apart). */
export type RunMeta = Omit<RunEvidence, 'summary' | 'resultsHash'>;

/** The runs a gate reads as evidence, and the paired comparisons of them it keeps. */
export class GateEvidenceRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  /**
   * Completed runs' small columns (by id, or every completed run of a use case), ordered by id, and how
   * many run rows were read (a run whose suite is gone or that never completed is left out of `runs`).
   */
  async runMeta(
    tx: Tx,
    where: { aiUseCaseId: string } | { ids: string[] },
  ): Promise<{ count: number; runs: RunMeta[] }> {
    if ('ids' in where && where.ids.length === 0) {
      return { count: 0, runs: [] };
    }
    const m = managerOf(tx);
    const rows = await m.find(EvaluationRunEntity, {
      where: 'ids' in where ? { id: In(where.ids) } : { aiUseCaseId: where.aiUseCaseId, status: 'completed' },
      select: {
        id: true,
        suiteId: true,
        createdBy: true,
        outcome: true,
        completedAt: true,
        targetHash: true,
      },
      order: { id: 'ASC' },
    });
    const suiteIds = [...new Set(rows.map((row) => row.suiteId))];
    const suites = suiteIds.length
      ? await m.find(SuiteEntity, {
          where: { id: In(suiteIds) },
          select: { id: true, name: true, version: true, createdBy: true },
        })
      : [];
    const suiteById = new Map(suites.map((suite) => [suite.id, suite]));
    const runs = rows.flatMap((row): RunMeta[] => {
      const suite = suiteById.get(row.suiteId);
      if (!suite || !row.completedAt) {
        return [];
      }
      return [
        {
          id: row.id,
          suite: { name: suite.name, version: suite.version, authorId: suite.createdBy },
          startedBy: row.createdBy,
          outcome: row.outcome ?? 'failed',
          completedAt: row.completedAt.toISOString(),
          targetHash: row.targetHash,
        },
      ];
    });
    return { count: rows.length, runs };
  }

  /** The stored summaries of these runs (those with a report), read 100 runs a statement. */
  async summaries(tx: Tx, ids: string[]): Promise<Map<string, RunSummary>> {
    const found = new Map<string, RunSummary>();
    for (let i = 0; i < ids.length; i += 100) {
      const reports = await managerOf(tx).find(EvaluationRunEntity, {
        where: { id: In(ids.slice(i, i + 100)) },
        select: { id: true, report: true },
      });
      for (const { id, report } of reports) {
        const summary = (report as StoredRunReport | null)?.summary;
        if (summary) {
          found.set(id, summary);
        }
      }
    }
    return found;
  }

  /** What a paired comparison reads of a run row. */
  comparedRun(tx: Tx, id: string): Promise<Pick<EvaluationRunEntity, 'id' | 'suiteId' | 'manifest'> | null> {
    return managerOf(tx).findOne(EvaluationRunEntity, {
      where: { id },
      select: { id: true, suiteId: true, manifest: true },
    });
  }

  comparison(tx: Tx, baselineRunId: string, candidateRunId: string): Promise<RunComparisonEntity | null> {
    return managerOf(tx).findOneBy(RunComparisonEntity, { baselineRunId, candidateRunId });
  }

  hasComparison(tx: Tx, baselineRunId: string, candidateRunId: string): Promise<boolean> {
    return managerOf(tx).exists(RunComparisonEntity, { where: { baselineRunId, candidateRunId } });
  }

  /** Stores a computed comparison; a concurrent one stored first wins (the inputs never change). */
  async insertComparison(
    tx: Tx,
    baselineRunId: string,
    candidateRunId: string,
    metrics: MetricComparison[],
  ): Promise<void> {
    await managerOf(tx)
      .createQueryBuilder()
      .insert()
      .into(RunComparisonEntity)
      .values({ baselineRunId, candidateRunId, metrics, createdAt: new Date() })
      .orIgnore()
      .execute();
  }

  /** The stored comparisons of any of these candidates against any of these baselines. */
  comparisons(tx: Tx, baselineRunIds: string[], candidateRunIds: string[]): Promise<RunComparisonEntity[]> {
    if (baselineRunIds.length === 0 || candidateRunIds.length === 0) {
      return Promise.resolve([]);
    }
    return managerOf(tx).find(RunComparisonEntity, {
      where: { baselineRunId: In(baselineRunIds), candidateRunId: In(candidateRunIds) },
      order: { baselineRunId: 'ASC', candidateRunId: 'ASC' },
    });
  }
}
