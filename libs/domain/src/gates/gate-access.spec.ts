import { type Stage } from '../ai-use-cases/stage';
import { DomainError } from '../errors/domain-error';
import { type Actor, type Role } from '../identity/roles';
import {
  assertCanPromote,
  assertCanProposeGate,
  assertCanRecordPilot,
  assertCanStepBack,
  assertGateTransition,
  assertStepBack,
  decisionRefusal,
  evaluationStanding,
  promotionRefusal,
} from './gate-access';
import { type GateTarget } from './gate-policy';

const actor = (roles: Role[], teamId: string | null = 'team-a'): Actor => ({
  id: `user-${roles.join('-')}-${teamId}`,
  name: 'Someone',
  teamId,
  roles,
});
const useCase = (stage: Stage = 'proposed') => ({ ownerTeamId: 'team-a', stage });

/** The rule a DomainError names, or 'allowed' when nothing is thrown. */
function ruleOf(action: () => unknown): string {
  try {
    action();
    return 'allowed';
  } catch (error) {
    if (error instanceof DomainError) {
      return error.rule ?? error.code;
    }
    throw error;
  }
}

describe('who may act on a gate', () => {
  it.each([
    ['service team of the owning team', actor(['service_team']), 'allowed'],
    ['engineer of the owning team', actor(['engineer']), 'allowed'],
    ['reviewer of the owning team', actor(['reviewer']), 'gate_proposed_by_owning_team'],
    ['service team of another team', actor(['service_team'], 'team-b'), 'gate_proposed_by_owning_team'],
    ['reviewer of another team', actor(['reviewer'], 'team-b'), 'gate_proposed_by_owning_team'],
    ['admin', actor(['admin'], null), 'allowed'],
  ])('asking for an evaluation: %s → %s', (_who, who, expected) => {
    expect(ruleOf(() => assertCanProposeGate(who, useCase()))).toBe(expected);
  });

  it.each([
    ['service team of the owning team', actor(['service_team']), 'allowed'],
    ['engineer of the owning team', actor(['engineer']), 'promotion_by_owning_service_team'],
    ['service team of another team', actor(['service_team'], 'team-b'), 'promotion_by_owning_service_team'],
    ['reviewer of another team', actor(['reviewer'], 'team-b'), 'promotion_by_owning_service_team'],
    ['admin', actor(['admin'], null), 'allowed'],
  ])('promoting: %s → %s', (_who, who, expected) => {
    expect(ruleOf(() => assertCanPromote(who, useCase()))).toBe(expected);
  });

  it.each([
    ['service team of the owning team', actor(['service_team']), 'allowed'],
    ['engineer of the owning team', actor(['engineer']), 'step_back_by_owner_or_reviewer'],
    ['reviewer of another team', actor(['reviewer'], 'team-b'), 'allowed'],
    ['reviewer inside the owning team', actor(['reviewer']), 'step_back_by_owner_or_reviewer'],
    ['admin', actor(['admin'], null), 'allowed'],
  ])('demoting or retiring: %s → %s', (_who, who, expected) => {
    expect(ruleOf(() => assertCanStepBack(who, useCase('scale')))).toBe(expected);
  });

  it.each([
    ['owning team at learn', actor(['engineer']), 'learn', 'allowed'],
    ['owning team at test', actor(['service_team']), 'test', 'pilot_at_learn'],
    ['owning team at scale', actor(['service_team']), 'scale', 'pilot_at_learn'],
    ['another team at learn', actor(['service_team'], 'team-b'), 'learn', 'pilot_recorded_by_owning_team'],
    ['admin at learn', actor(['admin'], null), 'learn', 'pilot_recorded_by_owning_team'],
  ] as const)('recording pilot observations: %s → %s', (_who, who, stage, expected) => {
    expect(ruleOf(() => assertCanRecordPilot(who, useCase(stage)))).toBe(expected);
  });
});

describe('which gate may be evaluated', () => {
  it.each<[Stage, GateTarget, boolean, string]>([
    ['proposed', 'test', false, 'promotion'],
    ['test', 'learn', false, 'promotion'],
    ['learn', 'scale', false, 'promotion'],
    ['proposed', 'learn', false, 'stage_order'],
    ['proposed', 'scale', false, 'stage_order'],
    ['test', 'test', false, 'stage_order'],
    ['scale', 'scale', false, 'stage_order'],
    ['learn', 'learn', true, 'reapproval'],
    ['scale', 'scale', true, 'reapproval'],
    ['learn', 'scale', true, 'promotion'],
    ['scale', 'learn', true, 'stage_order'],
    ['retired', 'test', false, 'retired_is_final'],
  ])('at %s, to %s (under change: %s) → %s', (stage, to, underChange, expected) => {
    let outcome: string;
    try {
      outcome = assertGateTransition(stage, to, underChange);
    } catch (error) {
      outcome = (error as DomainError).rule ?? 'unexpected';
    }
    expect(outcome).toBe(expected);
  });

  it('names the field and the next gate when a stage is skipped', () => {
    let caught: unknown = null;
    try {
      assertGateTransition('proposed', 'scale', false);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(caught).toMatchObject({
      code: 'invalid_state',
      message: expect.stringContaining('the next gate leads to test'),
      problems: [expect.objectContaining({ field: 'to' })],
    });
  });

  it.each<[Stage, Stage, string]>([
    ['scale', 'learn', 'demotion'],
    ['scale', 'proposed', 'demotion'],
    ['test', 'proposed', 'demotion'],
    ['learn', 'retired', 'retirement'],
    ['proposed', 'retired', 'retirement'],
    ['test', 'learn', 'forward_only_through_gate'],
    ['learn', 'learn', 'forward_only_through_gate'],
    ['retired', 'proposed', 'retired_is_final'],
  ])('stepping back from %s to %s → %s', (stage, to, expected) => {
    let outcome: string;
    try {
      outcome = assertStepBack(stage, to);
    } catch (error) {
      outcome = (error as DomainError).rule ?? 'unexpected';
    }
    expect(outcome).toBe(expected);
  });
});

describe('whether an evaluation still counts', () => {
  const base = {
    seq: 3,
    latestSeq: 3,
    useCaseRevision: 7,
    currentRevision: 7,
    policyVersion: 2,
    currentPolicyVersion: 2,
    usedBy: null as string | null,
  };

  it.each([
    ['nothing changed', {}, null],
    ['a newer evaluation', { latestSeq: 4 }, 'a newer evaluation supersedes it'],
    ['a record change', { currentRevision: 8 }, 'the use case changed since (revision 7 → 8)'],
    ['a new policy version', { currentPolicyVersion: 3 }, 'a new gate policy (version 3) replaced version 2'],
    [
      'a stage change through it',
      { usedBy: 'promotion 42' },
      'the use case already went through the gate with it (promotion 42)',
    ],
    [
      'several at once',
      { latestSeq: 5, currentPolicyVersion: 3 },
      'a newer evaluation supersedes it; a new gate policy (version 3) replaced version 2',
    ],
  ])('%s → voided because %s', (_what, change, expected) => {
    const standing = evaluationStanding({ ...base, ...change });
    expect(standing).toEqual({ current: expected === null, voidedBecause: expected });
  });

  const current = { current: true, voidedBecause: null };
  const voided = { current: false, voidedBecause: 'a newer evaluation supersedes it' };

  it.each([
    ['approve a current passing one', current, 'pass', 'pending', 'approve', null],
    ['reject a current failing one', current, 'fail', 'pending', 'reject', null],
    ['approve a failing one', current, 'fail', 'pending', 'approve', 'evaluation_passed'],
    ['approve a rejected one', current, 'pass', 'rejected', 'approve', 'evaluation_not_rejected'],
    ['reject a rejected one', current, 'pass', 'rejected', 'reject', 'evaluation_not_rejected'],
    ['approve a superseded one', voided, 'pass', 'pending', 'approve', 'evaluation_current'],
    ['add an approval to an approved one', current, 'pass', 'approved', 'approve', null],
  ] as const)('a reviewer may %s → %s', (_what, standing, verdict, state, decision, expected) => {
    expect(decisionRefusal(standing, verdict, state, decision)?.rule ?? null).toBe(expected);
  });

  it.each([
    ['current, passing, approved', current, 'pass', 'approved', 1, 1, null],
    ['not yet approved', current, 'pass', 'pending', 0, 1, 'evaluation_approved'],
    ['one of two approvals', current, 'pass', 'pending', 1, 2, 'evaluation_approved'],
    ['rejected', current, 'pass', 'rejected', 1, 1, 'evaluation_not_rejected'],
    ['failing', current, 'fail', 'approved', 1, 1, 'evaluation_passed'],
    ['superseded', voided, 'pass', 'approved', 1, 1, 'evaluation_current'],
  ] as const)('promotion when %s → %s', (_what, standing, verdict, state, have, need, expected) => {
    const refusal = promotionRefusal(standing, verdict, state, { have, need });
    expect(refusal?.rule ?? null).toBe(expected);
  });

  it('says how many approvals are still missing', () => {
    expect(promotionRefusal(current, 'pass', 'pending', { have: 1, need: 2 })?.message).toBe(
      'The evaluation has 1 of the 2 independent approvals it needs.',
    );
  });
});
