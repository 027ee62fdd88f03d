import { In, LessThanOrEqual } from 'typeorm';
import { type MetricSummary } from '@gatehouse/domain';
import {
  AiUseCaseEntity,
  DatasetItemEntity,
  EvaluationRunEntity,
  ItemReviewEntity,
  ReviewSampleEntity,
  ReviewSampleItemEntity,
  RunResultEntity,
  SuiteEntity,
  UserEntity,
} from '../entities';
import { type StoredScore, storedReport } from '../runs/run.repository';
import { isUniqueViolation } from '../database-errors';
import { insertUnique } from '../insert-unique';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

const CHUNK = 500;
/** Reviews have twelve columns: 200 rows stay well inside SQLite's limit on bound parameters. */
const REVIEW_CHUNK = 200;

/** A run result as a sample candidate reads it: its verdicts and groups, nothing large. */
export interface CandidateRow {
  itemId: string;
  seq: number;
  epoch: number;
  anyFailed: boolean;
  scores: Record<string, StoredScore>;
  groups: Record<string, string>;
}

/** A sampled item's result: what the scorers said and what the target answered. */
export interface SampledResultRow {
  itemId: string;
  epoch: number;
  output: string | null;
  scores: Record<string, StoredScore>;
  groups: Record<string, string>;
}

/** Who produced a run (for reviewers' independence) and what it measured. */
export interface ReviewRunContext {
  runId: string;
  status: string;
  startedBy: string;
  suiteAuthor: string;
  suiteName: string;
  suiteVersion: number;
  aiUseCaseId: string | null;
  /** The use case's owning team now (null for a run of no use case). */
  ownerTeamId: string | null;
  /** The run's metrics (name and scorer type), from its stored report; empty before it is aggregated. */
  metrics: Pick<MetricSummary, 'name' | 'scorer' | 'guardrail'>[];
}

/**
 * Review samples, their items and people's reviews. Samples and reviews are only ever inserted: a
 * sample never changes, and a review is superseded by the reviewer's next revision of it.
 */
export class ReviewRepository {
  constructor(readonly uow: UnitOfWork) {}

  /** Who produced each run and what it measured, for the runs that exist. */
  async runContexts(tx: Tx, runIds: readonly string[]): Promise<Map<string, ReviewRunContext>> {
    const contexts = new Map<string, ReviewRunContext>();
    if (runIds.length === 0) {
      return contexts;
    }
    const manager = managerOf(tx);
    const runs = await manager.find(EvaluationRunEntity, { where: { id: In([...runIds]) } });
    const suites = new Map(
      (await manager.find(SuiteEntity, { where: { id: In([...new Set(runs.map((r) => r.suiteId))]) } })).map(
        (suite) => [suite.id, suite],
      ),
    );
    const useCaseIds = [...new Set(runs.flatMap((r) => (r.aiUseCaseId ? [r.aiUseCaseId] : [])))];
    const owners = new Map(
      (useCaseIds.length === 0
        ? []
        : await manager.find(AiUseCaseEntity, {
            where: { id: In(useCaseIds) },
            select: { id: true, ownerTeamId: true },
          })
      ).map((useCase) => [useCase.id, useCase.ownerTeamId]),
    );
    for (const run of runs) {
      const suite = suites.get(run.suiteId);
      contexts.set(run.id, {
        runId: run.id,
        status: run.status,
        startedBy: run.createdBy,
        suiteAuthor: suite?.createdBy ?? '',
        suiteName: suite?.name ?? '',
        suiteVersion: suite?.version ?? 0,
        aiUseCaseId: run.aiUseCaseId,
        ownerTeamId: run.aiUseCaseId ? (owners.get(run.aiUseCaseId) ?? null) : null,
        metrics: (storedReport(run)?.summary.metrics ?? []).map((m) => ({
          name: m.name,
          scorer: m.scorer,
          guardrail: m.guardrail,
        })),
      });
    }
    return contexts;
  }

  /** Each user's team now (users not found are left out). */
  async teamsOf(tx: Tx, userIds: readonly string[]): Promise<Map<string, string | null>> {
    if (userIds.length === 0) {
      return new Map();
    }
    const users = await managerOf(tx).find(UserEntity, {
      where: { id: In([...userIds]) },
      select: { id: true, teamId: true },
    });
    return new Map(users.map((user) => [user.id, user.teamId]));
  }

  /** The run's reviewable results (scored, not errored), in the run's order: the population to draw from. */
  async candidates(tx: Tx, runId: string): Promise<CandidateRow[]> {
    const rows = await managerOf(tx).find(RunResultEntity, {
      where: { runId, status: 'scored' },
      select: { itemId: true, seq: true, epoch: true, anyFailed: true, scores: true, groups: true },
      order: { seq: 'ASC', epoch: 'ASC' },
    });
    return rows.map((row) => ({
      itemId: row.itemId,
      seq: row.seq,
      epoch: row.epoch,
      anyFailed: row.anyFailed,
      scores: row.scores as Record<string, StoredScore>,
      groups: row.groups as Record<string, string>,
    }));
  }

  /** Writes a drawn sample and its items (in chunks). */
  async insertSample(tx: Tx, sample: ReviewSampleEntity, items: ReviewSampleItemEntity[]): Promise<void> {
    const manager = managerOf(tx);
    await manager.insert(ReviewSampleEntity, sample);
    for (let i = 0; i < items.length; i += CHUNK) {
      await manager.insert(ReviewSampleItemEntity, items.slice(i, i + CHUNK));
    }
  }

  sample(tx: Tx, id: string): Promise<ReviewSampleEntity | null> {
    return managerOf(tx).findOneBy(ReviewSampleEntity, { id });
  }

  /** Samples of these runs, oldest first. */
  async samplesOfRuns(tx: Tx, runIds: readonly string[]): Promise<ReviewSampleEntity[]> {
    if (runIds.length === 0) {
      return [];
    }
    const rows: ReviewSampleEntity[] = [];
    for (let i = 0; i < runIds.length; i += CHUNK) {
      rows.push(
        ...(await managerOf(tx).find(ReviewSampleEntity, {
          where: { runId: In(runIds.slice(i, i + CHUNK)) },
          order: { createdAt: 'ASC', id: 'ASC' },
        })),
      );
    }
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
  }

  /** The sample's items in review order. */
  items(tx: Tx, sampleId: string): Promise<ReviewSampleItemEntity[]> {
    return managerOf(tx).find(ReviewSampleItemEntity, { where: { sampleId }, order: { position: 'ASC' } });
  }

  item(tx: Tx, sampleId: string, position: number): Promise<ReviewSampleItemEntity | null> {
    return managerOf(tx).findOneBy(ReviewSampleItemEntity, { sampleId, position });
  }

  /** The run results of the sampled items (output, scores, groups). */
  async sampledResults(tx: Tx, runId: string, sampleId: string): Promise<SampledResultRow[]> {
    const rows = await managerOf(tx)
      .createQueryBuilder(RunResultEntity, 'r')
      .innerJoin(
        ReviewSampleItemEntity,
        's',
        's.item_id = r.item_id AND s.epoch = r.epoch AND s.sample_id = :sampleId',
        { sampleId },
      )
      .select(['r.itemId', 'r.epoch', 'r.output', 'r.scores', 'r.groups'])
      .where('r.run_id = :runId', { runId })
      .getMany();
    return rows.map((row) => ({
      itemId: row.itemId,
      epoch: row.epoch,
      output: row.output,
      scores: row.scores as Record<string, StoredScore>,
      groups: row.groups as Record<string, string>,
    }));
  }

  /**
   * Every review of these samples (every revision), written at or before `asOf` when given (to re-derive
   * what an evaluation read), in the order written.
   */
  async reviews(tx: Tx, sampleIds: readonly string[], asOf?: Date): Promise<ItemReviewEntity[]> {
    if (sampleIds.length === 0) {
      return [];
    }
    return managerOf(tx).find(ItemReviewEntity, {
      where: {
        sampleId: In([...sampleIds]),
        ...(asOf ? { createdAt: LessThanOrEqual(asOf) } : {}),
      },
      order: { createdAt: 'ASC', revision: 'ASC', id: 'ASC' },
    });
  }

  /** One rater's reviews of one item, every revision, oldest first. */
  reviewsBy(tx: Tx, sampleId: string, position: number, reviewerKey: string): Promise<ItemReviewEntity[]> {
    return managerOf(tx).find(ItemReviewEntity, {
      where: { sampleId, position, reviewerKey },
      order: { revision: 'ASC' },
    });
  }

  /** One run result of a sampled item (output, scores, groups), or null. */
  async result(tx: Tx, runId: string, itemId: string, epoch: number): Promise<SampledResultRow | null> {
    const row = await managerOf(tx).findOne(RunResultEntity, {
      where: { runId, itemId, epoch },
      select: { itemId: true, epoch: true, output: true, scores: true, groups: true },
    });
    return (
      row && {
        itemId: row.itemId,
        epoch: row.epoch,
        output: row.output,
        scores: row.scores as Record<string, StoredScore>,
        groups: row.groups as Record<string, string>,
      }
    );
  }

  /** A dataset item as frozen (input, expected, metadata), or null. */
  async datasetItem(tx: Tx, datasetId: string, itemId: string): Promise<Record<string, unknown> | null> {
    const row = await managerOf(tx).findOneBy(DatasetItemEntity, { datasetId, itemId });
    return row ? (row.item as Record<string, unknown>) : null;
  }

  /** Each user's name and e-mail (users not found are left out). */
  async people(
    tx: Tx,
    userIds: readonly string[],
  ): Promise<Map<string, { name: string; email: string | null }>> {
    if (userIds.length === 0) {
      return new Map();
    }
    const users = await managerOf(tx).find(UserEntity, {
      where: { id: In([...userIds]) },
      select: { id: true, name: true, email: true },
    });
    return new Map(users.map((user) => [user.id, { name: user.name, email: user.email }]));
  }

  /** Every review of one sample written by this user (their own and those they imported), every revision. */
  reviewsByUser(tx: Tx, sampleId: string, reviewerId: string): Promise<ItemReviewEntity[]> {
    return managerOf(tx).find(ItemReviewEntity, {
      where: { sampleId, reviewerId },
      order: { position: 'ASC', revision: 'ASC' },
    });
  }

  /**
   * Inserts many reviews (an import) in chunks; false when one of them was written concurrently (on
   * PostgreSQL the transaction is then aborted: the caller must throw).
   */
  async insertReviews(tx: Tx, reviews: readonly ItemReviewEntity[]): Promise<boolean> {
    const manager = managerOf(tx);
    for (let i = 0; i < reviews.length; i += REVIEW_CHUNK) {
      try {
        await manager
          .createQueryBuilder()
          .insert()
          .into(ItemReviewEntity)
          .values(reviews.slice(i, i + REVIEW_CHUNK))
          .updateEntity(false)
          .execute();
      } catch (error) {
        if (isUniqueViolation(error)) {
          return false;
        }
        throw error;
      }
    }
    return true;
  }

  /** Inserts a review; false when that revision was written concurrently (the caller answers 409). */
  async insertReview(tx: Tx, review: ItemReviewEntity): Promise<boolean> {
    return insertUnique(managerOf(tx), ItemReviewEntity, review);
  }
}

/** The current review of each (item, rater): the highest revision. */
export function currentReviews(reviews: readonly ItemReviewEntity[]): ItemReviewEntity[] {
  const latest = new Map<string, ItemReviewEntity>();
  for (const review of reviews) {
    const key = `${review.sampleId}\u0000${review.position}\u0000${review.reviewerKey}`;
    const seen = latest.get(key);
    if (!seen || review.revision > seen.revision) {
      latest.set(key, review);
    }
  }
  return [...latest.values()].sort(
    (a, b) =>
      a.position - b.position || (a.reviewerKey < b.reviewerKey ? -1 : a.reviewerKey > b.reviewerKey ? 1 : 0),
  );
}
