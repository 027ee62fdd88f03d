import {
  type Actor,
  type ApprovalContext,
  approvalRefusal,
  approvalsNeedReviewerGrantedByOther,
  approvalsNeedVia,
  gateRules,
} from '@gatehouse/domain';
import {
  type GateEvaluationEntity,
  GatePolicyRepository,
  GateRepository,
  type Tx,
  type UserEntity,
  UserRepository,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';

/**
 * Who may decide an evaluation: the separation-of-duties context `approvalRefusal` judges, assembled once
 * for the decision itself, the pages that offer the decision form, the reviewer's work list and the
 * notifications that ask reviewers to look.
 */
@Injectable()
export class ApprovalEligibility {
  constructor(
    private readonly gates: GateRepository,
    private readonly policies: GatePolicyRepository,
    private readonly users: UserRepository,
  ) {}

  /** Why the actor may not decide this evaluation on independence grounds, or null. */
  async refusal(
    tx: Tx,
    actor: Actor,
    entity: GateEvaluationEntity,
    ownerTeamId: string,
  ): Promise<{ rule: string; message: string } | null> {
    return approvalRefusal(actor, await this.context(tx, actor, entity, ownerTeamId));
  }

  /** Who produced the evidence, and whether (and by whom) the approver's reviewer role must be granted. */
  async context(
    tx: Tx,
    actor: Actor,
    entity: GateEvaluationEntity,
    ownerTeamId: string,
  ): Promise<ApprovalContext> {
    const grantedByOther = await this.needsGrantByOther(tx, entity);
    const policy = await this.policies.byId(tx, entity.policyId);
    return {
      ...this.evidenceMakers(entity, ownerTeamId),
      // How the approver signed in is judged for the decision only: eligibleReviewers() does not filter on
      // it, since any reviewer can sign in through the identity provider to decide.
      requireVia: policy
        ? approvalsNeedVia(gateRules(policy.document, entity.riskTier, entity.toStage) ?? [])
        : undefined,
      requireReviewerRoleGrantedByOther: grantedByOther,
      reviewerRoleGrantedBy: grantedByOther
        ? await this.gates.reviewerRoleGrantedBy(tx, actor.id)
        : undefined,
    };
  }

  /**
   * The active reviewers who may decide the evaluation (independent of the team and of the evidence, with
   * their role granted as the gate asks) and have not decided it yet: who a request for approval goes to.
   */
  async eligibleReviewers(tx: Tx, entity: GateEvaluationEntity, ownerTeamId: string): Promise<UserEntity[]> {
    const grantedByOther = await this.needsGrantByOther(tx, entity);
    const decided = new Set((await this.gates.decisions(tx, entity.id)).map((d) => d.approverId));
    const makers = this.evidenceMakers(entity, ownerTeamId);
    const reviewers = await this.users.activeWithRole(tx, 'reviewer');
    return reviewers.filter(
      (user) =>
        !decided.has(user.id) &&
        approvalRefusal(
          { id: user.id, name: user.name, teamId: user.teamId, roles: user.roles },
          {
            ...makers,
            requireReviewerRoleGrantedByOther: grantedByOther,
            reviewerRoleGrantedBy: grantedByOther ? (user.rolesGrantedBy?.reviewer ?? null) : undefined,
          },
        ) === null,
    );
  }

  private evidenceMakers(
    entity: GateEvaluationEntity,
    ownerTeamId: string,
  ): Pick<ApprovalContext, 'ownerTeamId' | 'proposedBy' | 'runStarters' | 'suiteAuthors'> {
    return {
      ownerTeamId,
      proposedBy: entity.createdBy,
      runStarters: entity.result.runsUsed.map((run) => run.startedBy),
      suiteAuthors: entity.result.runsUsed.map((run) => run.suiteAuthorId),
    };
  }

  /** Whether the evaluation's gate (in its policy version) asks for reviewers granted by someone else. */
  private async needsGrantByOther(tx: Tx, entity: GateEvaluationEntity): Promise<boolean> {
    const policy = await this.policies.byId(tx, entity.policyId);
    const rules = policy ? gateRules(policy.document, entity.riskTier, entity.toStage) : null;
    return approvalsNeedReviewerGrantedByOther(rules ?? []);
  }
}
