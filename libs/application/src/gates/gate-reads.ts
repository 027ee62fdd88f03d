import {
  type Actor,
  approvalState,
  assertCanViewAiUseCase,
  DomainError,
  type EvaluationStanding,
  evaluationStanding,
} from '@gatehouse/domain';
import {
  type AiUseCaseEntity,
  type GateEvaluationEntity,
  GatePolicyRepository,
  GateRepository,
  StageChangeRepository,
  type Tx,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { type GateEvaluationView, toGateEvaluationView } from './gate.views';

const UUID = /^[0-9a-f-]{36}$/i;

/** Whether a value from a path or form can be an id at all; anything else is "not found" without a query. */
export function isIdLike(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Use cases and evaluations as the actor may see them, and an evaluation's view with where it stands. */
@Injectable()
export class GateReads {
  constructor(
    private readonly gates: GateRepository,
    private readonly policies: GatePolicyRepository,
    private readonly stageChanges: StageChangeRepository,
  ) {}

  /** The use case with its team, if the actor may see it (else not found); `forUpdate` locks it. */
  async useCase(tx: Tx, actor: Actor, id: string, forUpdate = false): Promise<AiUseCaseEntity> {
    const useCase = isIdLike(id) ? await this.gates.useCase(tx, id, forUpdate) : null;
    if (!useCase) {
      throw DomainError.notFound('The AI use case');
    }
    assertCanViewAiUseCase(actor, useCase);
    return useCase;
  }

  /** The evaluation, if the actor may see its use case (else not found). */
  async evaluation(tx: Tx, actor: Actor, id: string): Promise<GateEvaluationEntity> {
    const entity = isIdLike(id) ? await this.gates.evaluation(tx, id) : null;
    if (!entity) {
      throw DomainError.notFound('The gate evaluation');
    }
    const useCase = await this.gates.useCaseOnly(tx, entity.aiUseCaseId);
    if (!useCase) {
      throw DomainError.notFound('The gate evaluation');
    }
    assertCanViewAiUseCase(actor, useCase);
    return entity;
  }

  /** Whether the evaluation still counts, and the stage change that used it. */
  async standing(
    tx: Tx,
    entity: GateEvaluationEntity,
    useCase: AiUseCaseEntity,
  ): Promise<{ standing: EvaluationStanding; stageChangeId: string | null }> {
    const latestSeq = await this.gates.latestSeq(tx, entity.aiUseCaseId);
    const used = await this.stageChanges.using(tx, entity.id);
    return {
      standing: evaluationStanding({
        seq: entity.seq,
        latestSeq: latestSeq ?? entity.seq,
        useCaseRevision: entity.useCaseRevision,
        currentRevision: useCase.revision,
        policyVersion: entity.policyVersion,
        currentPolicyVersion: await this.policies.currentVersion(tx),
        usedBy: used ? `${used.kind} ${used.id}` : null,
      }),
      stageChangeId: used?.id ?? null,
    };
  }

  /** The evaluation with its reviewers' decisions and its standing. */
  async view(tx: Tx, entity: GateEvaluationEntity, useCase?: AiUseCaseEntity): Promise<GateEvaluationView> {
    const owner = useCase ?? (await this.gates.useCaseOnly(tx, entity.aiUseCaseId));
    if (!owner) {
      throw DomainError.notFound('The gate evaluation');
    }
    const decisions = await this.gates.decisions(tx, entity.id);
    const { standing, stageChangeId } = await this.standing(tx, entity, owner);
    return toGateEvaluationView(entity, {
      decisions,
      state: approvalState(decisions, entity.approvalsRequired),
      standing,
      stageChangeId,
    });
  }
}
