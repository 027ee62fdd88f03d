import {
  type Actor,
  approvalState,
  assertIndependentApprover,
  decisionRefusal,
  DomainError,
} from '@gatehouse/domain';
import { GateApprovalEntity, GateRepository, UnitOfWork } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { evaluationRejected } from '../notifications/notification-builders';
import { NotificationsService } from '../notifications/notifications.service';
import { ApprovalEligibility } from './approval-eligibility';
import { type RequestContext } from '../request-context';
import { GateReads } from './gate-reads';
import { type GateEvaluationView } from './gate.views';
import { RefusalAudit } from './refusals-audited';

type Problem = { field: string; message: string; code: string };

/** Reviewers' decisions on gate evaluations: independent, one each, on the hash they read. */
@Injectable()
export class GateDecisionsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly gates: GateRepository,
    private readonly eligibility: ApprovalEligibility,
    private readonly reads: GateReads,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAudit,
    private readonly notifications: NotificationsService,
  ) {}

  async decide(
    context: RequestContext,
    evaluationId: string,
    input: { decision: unknown; reason: unknown; evaluationHash?: string },
  ): Promise<GateEvaluationView> {
    const attempt = { attempted: 'gate.decide', subjectType: 'gate_evaluation', subjectId: evaluationId };
    try {
      return await this.notifications.write(async (tx) => {
        const entity = await this.reads.evaluation(tx, context.actor, evaluationId);
        const useCase = await this.reads.useCase(tx, context.actor, entity.aiUseCaseId, true);
        const decision = input.decision;
        const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
        const problems = [
          decision === 'approve' || decision === 'reject'
            ? null
            : { field: 'decision', message: 'must be approve or reject', code: 'invalid_value' },
          reason.length >= 3
            ? null
            : {
                field: 'reason',
                message: 'a reason is required (what you checked, or why not)',
                code: 'required',
              },
        ].filter((p): p is Problem => p !== null);
        if (problems.length > 0) {
          throw DomainError.validation(problems);
        }
        const verdictDecision = decision as 'approve' | 'reject';
        assertIndependentApprover(
          context.actor,
          await this.eligibility.context(tx, context.actor, entity, useCase.ownerTeamId),
        );
        if (input.evaluationHash !== undefined && input.evaluationHash !== entity.hash) {
          throw new DomainError(
            'conflict',
            'The evaluation hash you signed is not this evaluation’s: reload it and read it again.',
            [
              {
                field: 'evaluationHash',
                // Never the right hash: copying it from here would sign what the reviewer has not read.
                message: `does not match: read the evaluation again (GET /v1/gate-evaluations/${entity.id}, or its page) and sign the hash shown there`,
                code: 'hash_mismatch',
              },
            ],
            'signed_hash_matches',
          );
        }
        const decisions = await this.gates.decisions(tx, evaluationId);
        const { standing } = await this.reads.standing(tx, entity, useCase);
        const refusal = decisionRefusal(
          standing,
          entity.verdict,
          approvalState(decisions, entity.approvalsRequired),
          verdictDecision,
        );
        if (refusal) {
          throw new DomainError('invalid_state', refusal.message, [], refusal.rule);
        }
        if (decisions.some((d) => d.approverId === context.actor.id)) {
          throw new DomainError(
            'conflict',
            'You already decided on this evaluation; one decision per reviewer.',
            [],
            'one_decision_per_reviewer',
          );
        }
        const approval = Object.assign(new GateApprovalEntity(), {
          id: randomUUID(),
          evaluationId,
          evaluationHash: entity.hash,
          approverId: context.actor.id,
          decision: verdictDecision,
          reason,
          via: context.actor.signedInVia ?? null,
          createdAt: new Date(),
        });
        if (!(await this.gates.insertDecision(tx, approval))) {
          throw new DomainError(
            'conflict',
            'You already decided on this evaluation.',
            [],
            'one_decision_per_reviewer',
          );
        }
        await this.audit.record(tx, context, {
          action: verdictDecision === 'approve' ? 'gate.approved' : 'gate.rejected',
          subjectType: 'gate_evaluation',
          subjectId: evaluationId,
          after: {
            aiUseCaseId: useCase.id,
            to: entity.toStage,
            evaluationHash: entity.hash,
            decision: verdictDecision,
            via: context.actor.signedInVia ?? null,
          },
          reason,
        });
        if (verdictDecision === 'reject') {
          // An approval sends nothing: the promotion that may follow does (stage-changes).
          await this.notifications.record(tx, evaluationRejected(useCase, entity, reason));
        }
        return this.reads.view(tx, entity, useCase);
      });
    } catch (error) {
      await this.refusals.record(context, attempt, error);
      throw error;
    }
  }

  /**
   * Why the actor may not approve this evaluation on independence grounds (the same check `decide` makes,
   * who granted their reviewer role included), or null: for pages that offer the decision form.
   */
  async independenceRefusal(
    actor: Actor,
    evaluationId: string,
  ): Promise<{ rule: string; message: string } | null> {
    return this.uow.read(async (tx) => {
      const entity = await this.reads.evaluation(tx, actor, evaluationId);
      const useCase = await this.reads.useCase(tx, actor, entity.aiUseCaseId);
      return this.eligibility.refusal(tx, actor, entity, useCase.ownerTeamId);
    });
  }
}
