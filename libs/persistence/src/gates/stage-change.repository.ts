import { type Stage } from '@gatehouse/domain';
import { In } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../database-errors';
import { AiUseCaseEntity, AiUseCaseRevisionEntity, StageChangeEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** A stage change asked for: through a gate evaluation, or a step back with a reason. */
export interface StageMove {
  kind: StageChangeEntity['kind'];
  to: Stage;
  evaluationId: string | null;
  reason: string | null;
  changedBy: string;
}

/**
 * Why a move did not happen: the use case's stage or revision is no longer the one read (another change
 * won), or the evaluation was already used for a stage change.
 */
export type StageMoveRefusal = 'use_case_moved' | 'evaluation_used';

/** Stage changes, and the use-case revision each one writes. */
export class StageChangeRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  /**
   * Moves the stage by compare-and-set on (stage, revision), then writes the revision and the stage change.
   * On success `useCase` is updated in place to the new stage and revision. On a refusal the caller must
   * throw, so the transaction rolls back whatever was written.
   */
  async move(
    tx: Tx,
    useCase: AiUseCaseEntity,
    move: StageMove,
  ): Promise<StageChangeEntity | StageMoveRefusal> {
    const m = managerOf(tx);
    const now = new Date();
    const from = useCase.stage;
    const { affected } = await m
      .createQueryBuilder()
      .update(AiUseCaseEntity)
      .set({
        stage: move.to,
        revision: useCase.revision + 1,
        underChangeSince: null,
        underReviewSince: null,
        updatedAt: now,
      })
      .where('id = :id AND stage = :stage AND revision = :revision', {
        id: useCase.id,
        stage: from,
        revision: useCase.revision,
      })
      .execute();
    if (affected !== 1) {
      return 'use_case_moved';
    }
    Object.assign(useCase, {
      stage: move.to,
      revision: useCase.revision + 1,
      underChangeSince: null,
      underReviewSince: null,
      updatedAt: now,
    });
    const revision: AiUseCaseRevisionEntity = Object.assign(new AiUseCaseRevisionEntity(), {
      id: randomUUID(),
      aiUseCaseId: useCase.id,
      revision: useCase.revision,
      record: useCase.record,
      stage: useCase.stage,
      derivedRiskTier: useCase.derivedRiskTier,
      riskTier: useCase.riskTier,
      changedPaths: ['stage'],
      changeReason: move.reason ?? `${move.kind} through gate evaluation ${move.evaluationId}`,
      changedBy: move.changedBy,
      createdAt: now,
    });
    await m.insert(AiUseCaseRevisionEntity, revision);
    const change = Object.assign(new StageChangeEntity(), {
      id: randomUUID(),
      aiUseCaseId: useCase.id,
      kind: move.kind,
      evaluationId: move.evaluationId,
      fromStage: from,
      toStage: move.to,
      reason: move.reason,
      changedBy: move.changedBy,
      createdAt: now,
    });
    try {
      await m.insert(StageChangeEntity, change);
    } catch (error) {
      if (isUniqueViolation(error)) {
        return 'evaluation_used';
      }
      throw error;
    }
    return change;
  }

  /** The use case's stage changes, newest first. */
  list(tx: Tx, useCaseId: string): Promise<StageChangeEntity[]> {
    return managerOf(tx).find(StageChangeEntity, {
      where: { aiUseCaseId: useCaseId },
      order: { createdAt: 'DESC' },
    });
  }

  /** The stage change that went through this evaluation, if any. */
  using(tx: Tx, evaluationId: string): Promise<Pick<StageChangeEntity, 'id' | 'kind'> | null> {
    return managerOf(tx).findOne(StageChangeEntity, {
      where: { evaluationId },
      select: { id: true, kind: true },
    });
  }

  /** The use case's latest promotion or re-approval. */
  latestApproved(tx: Tx, useCaseId: string): Promise<StageChangeEntity | null> {
    return managerOf(tx).findOne(StageChangeEntity, {
      where: { aiUseCaseId: useCaseId, kind: In(['promotion', 'reapproval']) },
      order: { createdAt: 'DESC' },
    });
  }
}
