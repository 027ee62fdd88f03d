import { type AiUseCaseOwnership } from '../ai-use-cases/ai-use-case-access';
import { STAGES, type Stage } from '../ai-use-cases/stage';
import { DomainError } from '../errors/domain-error';
import { type Actor, hasRole } from '../identity/roles';
import { type ApprovalState } from './gate-approvals';
import { GATE_TARGETS, type GateTarget, nextGate } from './gate-policy';

const inOwningTeam = (actor: Actor, useCase: AiUseCaseOwnership) =>
  actor.teamId !== null && actor.teamId === useCase.ownerTeamId;

/** The owning team (its service team or engineers) asks for a gate evaluation; admins may too. */
export function assertCanProposeGate(actor: Actor, useCase: AiUseCaseOwnership): void {
  if (hasRole(actor, 'admin')) {
    return;
  }
  if (!inOwningTeam(actor, useCase) || !hasRole(actor, 'service_team', 'engineer')) {
    throw DomainError.forbidden(
      'Only the team that owns the AI use case can ask for a gate evaluation.',
      'gate_proposed_by_owning_team',
    );
  }
}

/** The owning service team moves its use case through a gate (the gate and the reviewers decide whether it may). */
export function assertCanPromote(actor: Actor, useCase: AiUseCaseOwnership): void {
  if (hasRole(actor, 'admin')) {
    return;
  }
  if (!inOwningTeam(actor, useCase) || !hasRole(actor, 'service_team')) {
    throw DomainError.forbidden(
      'Only the owning service team can promote its AI use case.',
      'promotion_by_owning_service_team',
    );
  }
}

/** Pilot observations come from the team running the pilot. */
export function assertCanRecordPilot(actor: Actor, useCase: AiUseCaseOwnership): void {
  if (!inOwningTeam(actor, useCase) || !hasRole(actor, 'service_team', 'engineer')) {
    throw DomainError.forbidden(
      'Only the team that owns the AI use case records what its pilot showed.',
      'pilot_recorded_by_owning_team',
    );
  }
  if (useCase.stage !== 'learn') {
    throw new DomainError(
      'invalid_state',
      `Pilot observations are recorded at the learn stage; this use case is at ${useCase.stage}.`,
      [],
      'pilot_at_learn',
    );
  }
}

/**
 * Stepping back (demotion) or retiring is a safety action: the owning service team, an assurance
 * reviewer from outside the team, or an admin may take it, always with a reason.
 */
export function assertCanStepBack(actor: Actor, useCase: AiUseCaseOwnership): void {
  const owner = inOwningTeam(actor, useCase) && hasRole(actor, 'service_team');
  const reviewer = hasRole(actor, 'reviewer') && !inOwningTeam(actor, useCase);
  if (!owner && !reviewer && !hasRole(actor, 'admin')) {
    throw DomainError.forbidden(
      'Only the owning service team, an independent reviewer or an admin can demote or retire an AI use case.',
      'step_back_by_owner_or_reviewer',
    );
  }
}

/**
 * Which gate an evaluation may be asked for: the next stage's (no skipping), or, while the use case is
 * under change (its target changed at learn or scale, or its live service reported another configuration)
 * or under review (the watch found a regression, drift or expiring evidence), its current stage's again.
 * `underChange` is "under change or under review" (`reapprovalOffered`).
 */
export function assertGateTransition(
  stage: Stage,
  to: GateTarget,
  underChange: boolean,
): 'promotion' | 'reapproval' {
  if (stage === 'retired') {
    throw new DomainError(
      'invalid_state',
      'A retired AI use case goes through no more gates.',
      [],
      'retired_is_final',
    );
  }
  if (underChange && to === stage) {
    return 'reapproval';
  }
  const next = nextGate(stage);
  if (to !== next) {
    const expected = next
      ? `the next gate leads to ${next}${underChange ? ` (or ${stage} again, to re-approve the change)` : ''}`
      : 'there is no further gate';
    throw new DomainError(
      'invalid_state',
      `The AI use case is at ${stage}: ${expected}. Stages cannot be skipped or repeated.`,
      [{ field: 'to', message: `must be ${next ?? 'absent'}`, code: 'stage_order' }],
      'stage_order',
    );
  }
  return 'promotion';
}

/** Demotion goes to an earlier stage, retirement to `retired`; both from a live stage. */
export function assertStepBack(stage: Stage, to: Stage): 'demotion' | 'retirement' {
  if (stage === 'retired') {
    throw new DomainError(
      'invalid_state',
      'A retired AI use case cannot change stage.',
      [],
      'retired_is_final',
    );
  }
  if (to === 'retired') {
    return 'retirement';
  }
  if (STAGES.indexOf(to) >= STAGES.indexOf(stage)) {
    throw new DomainError(
      'invalid_state',
      `Moving from ${stage} to ${to} is not a step back: stages move forward only through a gate.`,
      [{ field: 'to', message: `must be a stage before ${stage}, or retired`, code: 'stage_order' }],
      'forward_only_through_gate',
    );
  }
  return 'demotion';
}

/** What a stored evaluation is now, given what has happened since. */
export interface EvaluationStanding {
  /** Still the one that counts: latest for the use case, same record revision and policy version. */
  current: boolean;
  /** Why it no longer counts, in plain English (null while current). */
  voidedBecause: string | null;
}

export function evaluationStanding(evaluation: {
  seq: number;
  latestSeq: number;
  useCaseRevision: number;
  currentRevision: number;
  policyVersion: number;
  currentPolicyVersion: number;
  usedBy: string | null;
}): EvaluationStanding {
  const reasons = [
    evaluation.usedBy !== null
      ? `the use case already went through the gate with it (${evaluation.usedBy})`
      : null,
    evaluation.seq < evaluation.latestSeq ? 'a newer evaluation supersedes it' : null,
    evaluation.useCaseRevision !== evaluation.currentRevision
      ? `the use case changed since (revision ${evaluation.useCaseRevision} → ${evaluation.currentRevision})`
      : null,
    evaluation.policyVersion !== evaluation.currentPolicyVersion
      ? `a new gate policy (version ${evaluation.currentPolicyVersion}) replaced version ${evaluation.policyVersion}`
      : null,
  ].filter((reason): reason is string => reason !== null);
  return { current: reasons.length === 0, voidedBecause: reasons.length ? reasons.join('; ') : null };
}

/** Why a decision on an evaluation is refused, or null: it must count, and not be rejected already. */
export function decisionRefusal(
  standing: EvaluationStanding,
  verdict: 'pass' | 'fail',
  state: ApprovalState,
  decision: 'approve' | 'reject',
): { rule: string; message: string } | null {
  if (!standing.current) {
    return {
      rule: 'evaluation_current',
      message: `This evaluation no longer counts: ${standing.voidedBecause}.`,
    };
  }
  if (state === 'rejected') {
    return {
      rule: 'evaluation_not_rejected',
      message: 'This evaluation was rejected; the team needs a new evaluation before anyone can approve it.',
    };
  }
  if (decision === 'approve' && verdict !== 'pass') {
    return {
      rule: 'evaluation_passed',
      message: 'This evaluation failed its rules: it can be rejected, not approved.',
    };
  }
  return null;
}

/** Why a promotion through this evaluation is refused, or null. */
export function promotionRefusal(
  standing: EvaluationStanding,
  verdict: 'pass' | 'fail',
  state: ApprovalState,
  approvals: { have: number; need: number },
): { rule: string; message: string } | null {
  if (!standing.current) {
    return {
      rule: 'evaluation_current',
      message: `This evaluation no longer counts: ${standing.voidedBecause}.`,
    };
  }
  if (verdict !== 'pass') {
    return {
      rule: 'evaluation_passed',
      message: 'The evaluation failed: fix what it names and evaluate again.',
    };
  }
  if (state === 'rejected') {
    return { rule: 'evaluation_not_rejected', message: 'A reviewer rejected this evaluation.' };
  }
  if (state !== 'approved') {
    return {
      rule: 'evaluation_approved',
      message: `The evaluation has ${approvals.have} of the ${approvals.need} independent approvals it needs.`,
    };
  }
  return null;
}

export function isGateTarget(value: unknown): value is GateTarget {
  return typeof value === 'string' && (GATE_TARGETS as readonly string[]).includes(value);
}
