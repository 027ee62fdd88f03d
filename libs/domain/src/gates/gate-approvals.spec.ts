import { approvalRefusal, type ApprovalContext } from './gate-approvals';
import {
  approvalsNeedReviewerGrantedByOther,
  approvalsNeedVia,
  describeRule,
  type GateRule,
} from './gate-policy';

const base: ApprovalContext = {
  ownerTeamId: 'benefits',
  proposedBy: 'sam',
  runStarters: ['eve'],
  suiteAuthors: ['olu'],
};
const rita = { id: 'rita', name: 'Rita', teamId: 'assurance', roles: ['reviewer'] as const };
const ada = { id: 'ada', name: 'Ada', teamId: 'platform', roles: ['admin', 'reviewer'] as const };

describe('approvals from reviewers whose role someone else granted', () => {
  it.each<[string, typeof rita | typeof ada, boolean | undefined, string | null | undefined, string | null]>([
    ['option off: a self-granted reviewer approves', ada, undefined, 'ada', null],
    ['option off: an unknown grant approves', rita, false, null, null],
    ['granted by another admin', rita, true, 'ada', null],
    ['granted at first start (system)', rita, true, 'system', null],
    ['granted by an operator on the command line', rita, true, 'cli', null],
    [
      'an admin who granted itself the reviewer role',
      ada,
      true,
      'ada',
      'approver_reviewer_role_self_granted',
    ],
    ['a reviewer whose grant is not on record', rita, true, null, 'approver_reviewer_role_grant_unknown'],
    [
      'a reviewer whose grant was never loaded',
      rita,
      true,
      undefined,
      'approver_reviewer_role_grant_unknown',
    ],
  ])('%s → %s', (_name, actor, require, grantedBy, rule) => {
    const context = { ...base, requireReviewerRoleGrantedByOther: require, reviewerRoleGrantedBy: grantedBy };
    expect(approvalRefusal(actor, context)?.rule ?? null).toBe(rule);
  });

  it('checks independence first: a self-granted reviewer in the owning team is refused for the team', () => {
    const actor = { ...ada, teamId: 'benefits' };
    const context = { ...base, requireReviewerRoleGrantedByOther: true, reviewerRoleGrantedBy: 'ada' };
    expect(approvalRefusal(actor, context)?.rule).toBe('approver_in_owning_team');
  });

  it.each<[string, GateRule[], boolean]>([
    ['no approvals rule', [{ kind: 'evidence', requirement: 'risks_recorded' }], false],
    ['approvals without the option', [{ kind: 'approvals', count: 1, role: 'reviewer' }], false],
    [
      'approvals with the option off',
      [{ kind: 'approvals', count: 1, role: 'reviewer', reviewerRoleGrantedByOther: false }],
      false,
    ],
    [
      'approvals with the option on',
      [{ kind: 'approvals', count: 2, role: 'reviewer', reviewerRoleGrantedByOther: true }],
      true,
    ],
  ])('a gate with %s → needs a grant by someone else: %p', (_name, rules, needed) => {
    expect(approvalsNeedReviewerGrantedByOther(rules)).toBe(needed);
  });

  it('says so in the rule title', () => {
    expect(
      describeRule({ kind: 'approvals', count: 2, role: 'reviewer', reviewerRoleGrantedByOther: true }),
    ).toBe('2 independent reviewer approvals (reviewer role granted by someone else)');
  });
});

describe('approvals made in an identity-provider session (`via: oidc`)', () => {
  it.each<[string, 'oidc' | 'api_token' | undefined, 'oidc' | undefined, string | null]>([
    ['rule off: a token session approves', 'api_token', undefined, null],
    ['rule off: the CLI (no session) approves', undefined, undefined, null],
    ['rule on: an identity-provider session approves', 'oidc', 'oidc', null],
    ['rule on: a token session is refused', 'api_token', 'oidc', 'approver_not_signed_in_via_oidc'],
    ['rule on: no session at all is refused', undefined, 'oidc', 'approver_not_signed_in_via_oidc'],
  ])('%s', (_name, signedInVia, requireVia, rule) => {
    const refusal = approvalRefusal({ ...rita, signedInVia }, { ...base, requireVia });
    expect(refusal?.rule ?? null).toBe(rule);
    expect(refusal === null || /sign in with the identity provider/.test(refusal.message)).toBe(true);
  });

  it('checks independence first: an owning-team reviewer signed in by token is refused for the team', () => {
    const actor = { ...rita, teamId: 'benefits', signedInVia: 'api_token' as const };
    expect(approvalRefusal(actor, { ...base, requireVia: 'oidc' })?.rule).toBe('approver_in_owning_team');
  });

  it('reads the rule from the gate and names it in the title', () => {
    const rule: GateRule = { kind: 'approvals', count: 1, role: 'reviewer', via: 'oidc' };
    expect(approvalsNeedVia([rule])).toBe('oidc');
    expect(approvalsNeedVia([{ kind: 'approvals', count: 1, role: 'reviewer' }])).toBeUndefined();
    expect(describeRule(rule)).toBe(
      '1 independent reviewer approval (signed in through the identity provider)',
    );
  });
});
