import {
  type Actor,
  approvalState,
  assertCanPromote,
  assertCanStepBack,
  assertStepBack,
  DomainError,
  isStage,
  promotionRefusal,
  type Stage,
} from '@gatehouse/domain';
import {
  type AiUseCaseEntity,
  GateRepository,
  type StageChangeEntity,
  StageChangeRepository,
  type StageMove,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { type AiUseCaseView, toAiUseCaseView } from '../ai-use-cases/ai-use-case.views';
import { AuditService } from '../audit/audit.service';
import { useCasePromoted } from '../notifications/notification-builders';
import { NotificationsService } from '../notifications/notifications.service';
import { type RequestContext } from '../request-context';
import { GateReads, isIdLike } from './gate-reads';
import { type StageChangeView, toStageChangeView } from './gate.views';
import { RefusalAudit } from './refusals-audited';
import { TransparencyService } from './transparency.service';

/** A stage change made, and the use case as it now is. */
export interface StageChangeResult {
  stageChange: StageChangeView;
  aiUseCase: AiUseCaseView;
}

/** Stage changes: promotion through a gate, demotion and retirement. Each is atomic and audited. */
@Injectable()
export class StageChangesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly gates: GateRepository,
    private readonly stageChanges: StageChangeRepository,
    private readonly reads: GateReads,
    private readonly transparency: TransparencyService,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAudit,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * Moves the use case through the gate of a current, passing, fully approved evaluation. Atomic: the
   * stage moves by compare-and-set on (stage, revision), so of two concurrent promotions one wins and the
   * other is refused with 409; nothing else changes for the loser.
   */
  async promote(
    context: RequestContext,
    useCaseId: string,
    evaluationId: unknown,
  ): Promise<StageChangeResult> {
    const attempt = { attempted: 'gate.promote', subjectType: 'ai_use_case', subjectId: useCaseId };
    try {
      return await this.notifications.write(async (tx) => {
        const useCase = await this.reads.useCase(tx, context.actor, useCaseId, true);
        assertCanPromote(context.actor, useCase);
        const entity = isIdLike(evaluationId)
          ? await this.gates.evaluationOf(tx, evaluationId, useCaseId)
          : null;
        if (!entity) {
          throw DomainError.validation([
            {
              field: 'evaluationId',
              message: 'is not a gate evaluation of this AI use case',
              code: 'unknown_reference',
            },
          ]);
        }
        const decisions = await this.gates.decisions(tx, entity.id);
        const { standing } = await this.reads.standing(tx, entity, useCase);
        const approvers = new Set(decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId));
        const refusal = promotionRefusal(
          standing,
          entity.verdict,
          approvalState(decisions, entity.approvalsRequired),
          { have: approvers.size, need: entity.approvalsRequired },
        );
        if (refusal) {
          throw new DomainError('invalid_state', refusal.message, [], refusal.rule);
        }
        const kind = entity.fromStage === entity.toStage ? 'reapproval' : 'promotion';
        const change = await this.moveStage(tx, context, useCase, {
          kind,
          to: entity.toStage,
          evaluationId: entity.id,
          reason: null,
        });
        await this.audit.record(tx, context, {
          action: kind === 'promotion' ? 'ai_use_case.promoted' : 'ai_use_case.change_approved',
          subjectType: 'ai_use_case',
          subjectId: useCaseId,
          before: { stage: change.fromStage, revision: useCase.revision - 1 },
          after: {
            stage: change.toStage,
            revision: useCase.revision,
            evaluationId: entity.id,
            evaluationHash: entity.hash,
            approvers: [...approvers],
          },
        });
        await this.notifications.record(tx, useCasePromoted(useCase, change));
        return result(change, useCase);
      });
    } catch (error) {
      await this.refusals.record(context, attempt, error);
      throw error;
    }
  }

  /** Demotion to an earlier stage or retirement: a safety action, always with a reason, audited. */
  async stepBack(
    context: RequestContext,
    useCaseId: string,
    input: { to: unknown; reason: unknown },
  ): Promise<StageChangeResult> {
    const attempt = { attempted: 'stage.step_back', subjectType: 'ai_use_case', subjectId: useCaseId };
    try {
      return await this.uow.write(async (tx) => {
        const useCase = await this.reads.useCase(tx, context.actor, useCaseId, true);
        assertCanStepBack(context.actor, useCase);
        const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
        const problems = [
          isStage(input.to) ? null : { field: 'to', message: 'must be a stage', code: 'unknown_stage' },
          reason.length >= 3 ? null : { field: 'reason', message: 'a reason is required', code: 'required' },
        ].filter((p): p is { field: string; message: string; code: string } => p !== null);
        if (problems.length > 0) {
          throw DomainError.validation(problems);
        }
        const to = input.to as Stage;
        const kind = assertStepBack(useCase.stage, to);
        const change = await this.moveStage(tx, context, useCase, { kind, to, evaluationId: null, reason });
        await this.audit.record(tx, context, {
          action: kind === 'retirement' ? 'ai_use_case.retired' : 'ai_use_case.demoted',
          subjectType: 'ai_use_case',
          subjectId: useCaseId,
          before: { stage: change.fromStage },
          after: { stage: change.toStage, revision: useCase.revision },
          reason,
        });
        return result(change, useCase);
      });
    } catch (error) {
      await this.refusals.record(context, attempt, error);
      throw error;
    }
  }

  /** The use case's stage changes, newest first. */
  async list(actor: Actor, useCaseId: string): Promise<StageChangeView[]> {
    return this.uow.read(async (tx) => {
      await this.reads.useCase(tx, actor, useCaseId);
      return (await this.stageChanges.list(tx, useCaseId)).map(toStageChangeView);
    });
  }

  /**
   * Moves the stage by compare-and-set on (stage, revision), writes the revision and the stage change, and
   * refreshes a published transparency record. `useCase` comes back at its new stage and revision.
   */
  private async moveStage(
    tx: Tx,
    context: RequestContext,
    useCase: AiUseCaseEntity,
    change: Omit<StageMove, 'changedBy'>,
  ): Promise<StageChangeEntity> {
    const moved = await this.stageChanges.move(tx, useCase, { ...change, changedBy: context.actor.id });
    if (moved === 'use_case_moved') {
      throw new DomainError(
        'conflict',
        'The AI use case changed while this request ran (another promotion won): reload it.',
        [],
        'promotion_conflict',
      );
    }
    if (moved === 'evaluation_used') {
      throw new DomainError(
        'conflict',
        'This evaluation was already used for a stage change.',
        [],
        'promotion_conflict',
      );
    }
    await this.transparency.refreshIfPublished(tx, context, useCase);
    return moved;
  }
}

function result(change: StageChangeEntity, useCase: AiUseCaseEntity): StageChangeResult {
  return {
    stageChange: toStageChangeView(change),
    aiUseCase: toAiUseCaseView(useCase, useCase.ownerTeam?.name ?? ''),
  };
}
