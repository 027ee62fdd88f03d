import {
  CANCELLABLE_RUN_STATUSES,
  type Stage,
  type StoredManifest,
  type StoredRunReport,
} from '@gatehouse/domain';
import { In } from 'typeorm';
import {
  AiUseCaseEntity,
  DatasetEntity,
  EvaluationRunEntity,
  RunResultEntity,
  SuiteEntity,
} from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** One scorer's verdict on an item, as a result row stores it. */
export interface StoredScore {
  value: number | null;
  passed: boolean | null;
  explanation?: string;
  label?: string | null;
}

/** A result row with its JSON columns typed. */
export type StoredRunResult = Omit<RunResultEntity, 'scores' | 'error' | 'groups' | 'run'> & {
  scores: Record<string, StoredScore>;
  error: { kind: string; message: string } | null;
  groups: Record<string, string>;
};

/** The manifest a run row stores (every input hash, the cassettes it pinned). */
export function storedManifest(run: Pick<EvaluationRunEntity, 'manifest'>): StoredManifest {
  return run.manifest as StoredManifest;
}

/** The report a run row stores once aggregated (partial when cancelled), else null. */
export function storedReport(run: Pick<EvaluationRunEntity, 'report'>): StoredRunReport | null {
  return run.report as StoredRunReport | null;
}

/** The AI use case a run is evidence for, as far as who may see it and act on it. */
export interface RunUseCaseOwner {
  ownerTeamId: string;
  stage: Stage;
}

export interface RunListFilter {
  aiUseCaseId?: string;
  status?: string;
  /** Hide runs of other teams' draft (proposed) use cases from this team (null: no team). */
  hideDraftsOfOtherTeamsThan?: string | null;
  limit: number;
  offset: number;
}

export interface RunResultFilter {
  status?: 'scored' | 'errored' | 'failed';
  /** A group attribute and the value it must have. */
  group?: { key: string; value: string };
  limit: number;
  offset: number;
}

/** A new run's own columns; the rest start as a queued run's do (no progress, no report, no times). */
export interface QueuedRunRow {
  id: string;
  suiteId: string;
  aiUseCaseId: string | null;
  baselineRunId: string | null;
  targetConfig: object;
  targetHash: string;
  provider: string;
  total: number;
  manifest: StoredManifest;
  createdBy: string;
  createdAt: Date;
}

/** Every statement the API side runs on `evaluation_runs` and `run_results`. */
export class RunRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  /** Stores a new run, queued; the row as stored. */
  async insert(tx: Tx, run: QueuedRunRow): Promise<EvaluationRunEntity> {
    const entity = Object.assign(new EvaluationRunEntity(), {
      ...run,
      status: 'queued' as const,
      completed: 0,
      failed: 0,
      errored: 0,
      report: null,
      outcome: null,
      error: null,
      startedAt: null,
      completedAt: null,
      cancelledAt: null,
      updatedAt: run.createdAt,
    });
    await managerOf(tx).insert(EvaluationRunEntity, entity);
    return entity;
  }

  /**
   * A run with its suite and the owner and stage of its AI use case (null when it is not evidence for
   * one, or the use case is gone). `forUpdate` locks the run row for a read-modify-write inside `write`.
   */
  async getWithOwner(
    tx: Tx,
    id: string,
    forUpdate = false,
  ): Promise<{ run: EvaluationRunEntity; useCase: RunUseCaseOwner | null } | null> {
    const m = managerOf(tx);
    const run = await m.findOne(EvaluationRunEntity, {
      where: { id },
      lock: forUpdate ? this.uow.forUpdate : undefined,
    });
    if (!run) {
      return null;
    }
    run.suite = (await m.findOneBy(SuiteEntity, { id: run.suiteId })) ?? undefined;
    const useCase = run.aiUseCaseId
      ? await m.findOne(AiUseCaseEntity, {
          where: { id: run.aiUseCaseId },
          select: { id: true, ownerTeamId: true, stage: true },
        })
      : null;
    return { run, useCase: useCase && { ownerTeamId: useCase.ownerTeamId, stage: useCase.stage } };
  }

  /** The suite `name@version` a run is asked for, and its dataset; null when there is no such suite. */
  async suiteWithDataset(
    tx: Tx,
    name: string,
    version: number,
  ): Promise<{ suite: SuiteEntity; dataset: DatasetEntity } | null> {
    const m = managerOf(tx);
    const suite = await m.findOneBy(SuiteEntity, { name, version });
    return suite && { suite, dataset: await m.findOneByOrFail(DatasetEntity, { id: suite.datasetId }) };
  }

  /** The AI use case a new run would be evidence for (its owner, stage and registered target), or null. */
  evidenceUseCase(
    tx: Tx,
    id: string,
  ): Promise<Pick<
    AiUseCaseEntity,
    'id' | 'ownerTeamId' | 'stage' | 'targetConfig' | 'targetCassettes'
  > | null> {
    return managerOf(tx).findOne(AiUseCaseEntity, {
      where: { id },
      select: { id: true, ownerTeamId: true, stage: true, targetConfig: true, targetCassettes: true },
    });
  }

  /** The suite a run ran (a run's suite is never deleted). */
  suiteOf(tx: Tx, run: Pick<EvaluationRunEntity, 'suiteId'>): Promise<SuiteEntity> {
    return managerOf(tx).findOneByOrFail(SuiteEntity, { id: run.suiteId });
  }

  /** Runs by id, in no particular order; unknown ids are left out. */
  findByIds(tx: Tx, ids: string[]): Promise<EvaluationRunEntity[]> {
    return managerOf(tx).findBy(EvaluationRunEntity, { id: In(ids) });
  }

  /** A page of runs with their suites, newest first. */
  async list(tx: Tx, filter: RunListFilter): Promise<{ items: EvaluationRunEntity[]; total: number }> {
    const query = managerOf(tx)
      .getRepository(EvaluationRunEntity)
      .createQueryBuilder('run')
      .innerJoinAndSelect('run.suite', 'suite')
      .leftJoin('run.aiUseCase', 'uc');
    if (filter.hideDraftsOfOtherTeamsThan !== undefined) {
      query.andWhere("(run.ai_use_case_id IS NULL OR uc.owner_team_id = :team OR uc.stage <> 'proposed')", {
        team: filter.hideDraftsOfOtherTeamsThan ?? '',
      });
    }
    if (filter.aiUseCaseId) {
      query.andWhere('run.ai_use_case_id = :useCase', { useCase: filter.aiUseCaseId });
    }
    if (filter.status) {
      query.andWhere('run.status = :status', { status: filter.status });
    }
    const [items, total] = await query
      .orderBy('run.created_at', 'DESC')
      .addOrderBy('run.id', 'ASC')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
    return { items, total };
  }

  /** A page of a run's result rows, in dataset order then epoch. */
  async results(
    tx: Tx,
    runId: string,
    filter: RunResultFilter,
  ): Promise<{ items: StoredRunResult[]; total: number }> {
    const query = managerOf(tx)
      .getRepository(RunResultEntity)
      .createQueryBuilder('r')
      .where('r.run_id = :id', { id: runId });
    if (filter.status === 'failed') {
      query.andWhere('r.any_failed = :failed', { failed: true });
    } else if (filter.status) {
      query.andWhere('r.status = :status', { status: filter.status });
    }
    if (filter.group) {
      const { key, value } = filter.group;
      // The group attributes are a JSON column: each driver reads a member its own way.
      const member =
        this.uow.driver === 'postgres' ? 'r.groups ->> :groupKey' : 'json_extract(r.groups, :groupPath)';
      query.andWhere(`${member} = :groupValue`, {
        groupKey: key,
        groupPath: `$."${key.replace(/"/g, '')}"`,
        groupValue: value,
      });
    }
    const [rows, total] = await query
      .orderBy('r.seq', 'ASC')
      .addOrderBy('r.epoch', 'ASC')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
    return { items: rows as StoredRunResult[], total };
  }

  /** Each scored row's item and scores, for a paired comparison. */
  async scoredItems(
    tx: Tx,
    runId: string,
  ): Promise<{ itemId: string; scores: Record<string, StoredScore> }[]> {
    const rows = await managerOf(tx).find(RunResultEntity, {
      where: { runId, status: 'scored' },
      select: { itemId: true, scores: true },
    });
    return rows.map((row) => ({ itemId: row.itemId, scores: row.scores as Record<string, StoredScore> }));
  }

  /**
   * Cancels the run if it is still queued or running (a compare-and-set on its status): false when it
   * moved on meanwhile.
   */
  async cancel(tx: Tx, id: string, now: Date): Promise<boolean> {
    const { affected } = await managerOf(tx)
      .createQueryBuilder()
      .update(EvaluationRunEntity)
      .set({ status: 'cancelled', cancelledAt: now, updatedAt: now })
      .where('id = :id AND status IN (:...statuses)', { id, statuses: CANCELLABLE_RUN_STATUSES })
      .execute();
    return affected === 1;
  }
}
