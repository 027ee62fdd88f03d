import { type Actor, hasRole } from '../identity/roles';
import { DomainError } from '../errors/domain-error';

/** Who produced the evidence an approval would sign: none of them may approve it. */
export interface ApprovalContext {
  ownerTeamId: string;
  /** Who asked for the gate evaluation (proposed the transition). */
  proposedBy: string;
  /** Who started each run the evaluation used. */
  runStarters: string[];
  /** Who published each suite version the evaluation used. */
  suiteAuthors: string[];
  /**
   * The gate's approvals rule asks for reviewers whose reviewer role someone else granted
   * (`reviewerRoleGrantedByOther`). Absent or false: who granted the role is not looked at.
   */
  requireReviewerRoleGrantedByOther?: boolean;
  /** Who granted the approver their reviewer role (a user id, `system` or `cli`), or null when unknown. */
  reviewerRoleGrantedBy?: string | null;
  /** The gate's approvals rule asks that the approver signed in through the identity provider (`via: oidc`). */
  requireVia?: 'oidc';
}

export interface ApprovalRecord {
  approverId: string;
  decision: 'approve' | 'reject';
}

/**
 * Separation of duties for gate approvals, in the domain so no route or script can skip it: the approver
 * is a reviewer, is not in the owning team, did not propose the transition, did not start any run used,
 * and did not author any suite used; where the gate asks, their reviewer role was granted by someone else
 * (not by themselves, and not lost from the record). Admins approve nothing by being admins.
 */
export function approvalRefusal(
  actor: Actor,
  context: ApprovalContext,
): { rule: string; message: string } | null {
  if (!hasRole(actor, 'reviewer')) {
    return { rule: 'approver_needs_reviewer_role', message: 'Only assurance reviewers approve gates.' };
  }
  if (actor.teamId !== null && actor.teamId === context.ownerTeamId) {
    return {
      rule: 'approver_in_owning_team',
      message: "A reviewer cannot approve their own team's use case.",
    };
  }
  if (actor.id === context.proposedBy) {
    return {
      rule: 'approver_proposed_transition',
      message: 'The person who asked for this gate evaluation cannot approve it.',
    };
  }
  if (context.runStarters.includes(actor.id)) {
    return {
      rule: 'approver_started_evidence_run',
      message: 'You started a run this evaluation uses: someone else must approve it.',
    };
  }
  if (context.suiteAuthors.includes(actor.id)) {
    return {
      rule: 'approver_authored_suite',
      message: 'You published a suite this evaluation uses: someone else must approve it.',
    };
  }
  if (context.requireReviewerRoleGrantedByOther) {
    const grantedBy = context.reviewerRoleGrantedBy ?? null;
    if (grantedBy === null) {
      return {
        rule: 'approver_reviewer_role_grant_unknown',
        message:
          'This gate needs a reviewer whose reviewer role someone else granted, and who granted yours is not on record: ask an admin other than you to grant it again.',
      };
    }
    if (grantedBy === actor.id) {
      return {
        rule: 'approver_reviewer_role_self_granted',
        message:
          'You granted yourself the reviewer role: this gate needs a reviewer whose role someone else granted.',
      };
    }
  }
  if (context.requireVia === 'oidc' && actor.signedInVia !== 'oidc') {
    return {
      rule: 'approver_not_signed_in_via_oidc',
      message:
        'This gate needs approvals made in a session opened through your organisation’s identity provider: sign out, sign in with the identity provider button on the Gatehouse sign-in page, and decide there (an API token is not enough).',
    };
  }
  return null;
}

export function assertIndependentApprover(actor: Actor, context: ApprovalContext): void {
  const refusal = approvalRefusal(actor, context);
  if (refusal) {
    throw refusal.rule === 'approver_needs_reviewer_role'
      ? DomainError.forbidden(refusal.message, refusal.rule)
      : new DomainError('separation_of_duties', refusal.message, [], refusal.rule);
  }
}

export type ApprovalState = 'pending' | 'approved' | 'rejected';

/** Rejected by any rejection; approved once `required` distinct reviewers approved; else pending. */
export function approvalState(approvals: ApprovalRecord[], required: number): ApprovalState {
  if (approvals.some((a) => a.decision === 'reject')) {
    return 'rejected';
  }
  const approvers = new Set(approvals.filter((a) => a.decision === 'approve').map((a) => a.approverId));
  return approvers.size >= required ? 'approved' : 'pending';
}
