import { type RiskTier, type Stage } from '../ai-use-cases/stage';
import { type ComparisonOp, type MetricStat } from '../evaluation/metric-stat';

/** The stages a gate leads to; each gate is entered from the stage before it. */
export const GATE_TARGETS = ['test', 'learn', 'scale'] as const;
export type GateTarget = (typeof GATE_TARGETS)[number];

export const PREVIOUS_STAGE: Record<GateTarget, Stage> = { test: 'proposed', learn: 'test', scale: 'learn' };

/** The gate a use case at `stage` may go through next, or null (at scale or retired). */
export function nextGate(stage: Stage): GateTarget | null {
  return GATE_TARGETS.find((target) => PREVIOUS_STAGE[target] === stage) ?? null;
}

/**
 * Record evidence a rule can require. Each applies only where it makes sense (a DPIA where personal data
 * is processed, an EqIA where protected characteristics are in scope); where it does not, it passes as
 * "not applicable" and says so.
 */
export const EVIDENCE_REQUIREMENTS = [
  'success_criteria_defined',
  'risks_recorded',
  'dpia_approved',
  'eqia_completed',
  'security_review_completed',
  'accessibility_review_completed',
  'human_oversight_described',
  'kill_switch_described',
  'monitoring_described',
  'incident_process_described',
  'transparency_record_published',
] as const;
export type EvidenceRequirement = (typeof EVIDENCE_REQUIREMENTS)[number];

/** What a pilot (the learn stage) records, as rates over the cases it handled. */
export const PILOT_MEASURES = ['override_rate', 'undo_rate', 'complaint_rate', 'incident_rate'] as const;
export type PilotMeasure = (typeof PILOT_MEASURES)[number];

/**
 * What a `pilot_metric` rule may read: the pilot measures, and (measured from live use only) the failure rate
 * of one online scorer (`scorer`: its metric name) over the sampled interactions it scored.
 */
export const PILOT_RULE_MEASURES = [...PILOT_MEASURES, 'guardrail_failure_rate'] as const;
export type PilotRuleMeasure = (typeof PILOT_RULE_MEASURES)[number];

export type GateRule =
  | {
      kind: 'suite_passed';
      suite: string;
      /** Exactly this suite version, or … */
      version?: number;
      /** … any version from this one on. */
      minVersion?: number;
      maxAgeDays: number;
    }
  | {
      kind: 'metric';
      suite: string;
      metric: string;
      stat: MetricStat;
      op: ComparisonOp;
      threshold: number;
      /** The pre-registered sample size: fewer scored items is inconclusive, not a pass. */
      minN?: number;
      /** For group stats: every group must have at least this many items. */
      minGroupSize?: number;
    }
  | {
      kind: 'no_regression';
      suite: string;
      metric: string;
      /** Significance level of the paired test (McNemar exact or paired bootstrap). */
      alpha: number;
    }
  | { kind: 'unscored_max'; suite: string; max: number }
  | { kind: 'evidence'; requirement: EvidenceRequirement }
  | {
      kind: 'pilot_metric';
      measure: PilotRuleMeasure;
      /** `guardrail_failure_rate` only: the online scorer's metric name. */
      scorer?: string;
      stat: 'value' | 'upper95';
      op: ComparisonOp;
      threshold: number;
      /** Cases observed (for `guardrail_failure_rate`: interactions the scorer scored) before it is judged. */
      minCases: number;
    }
  | {
      kind: 'human_review';
      suite: string;
      /** At least this many sampled items of the latest run reviewed by people independent of the team. */
      minItems: number;
      /** The corrected failure rate's one-sided 95% upper bound, as those people read it, at most this. */
      maxFailureUpper95: number;
      /** One metric's failures; absent: an item fails when any metric fails it. */
      metric?: string;
    }
  | {
      kind: 'judge_agreement';
      suite: string;
      /** `kappa`: Cohen's kappa (bootstrap lower bound); `agreement`: raw agreement (Wilson lower bound). */
      statistic: 'kappa' | 'agreement';
      /** The lower bound of agreement between each model judge and independent reviewers, at least this. */
      minLower: number;
      /** Reviewed items of that judge's metric needed before agreement is judged at all. */
      minItems: number;
      /** One judge metric; absent: every model judge metric of the suite. */
      metric?: string;
    }
  | {
      kind: 'approvals';
      count: number;
      /** Approvers hold this role and are independent (see assertIndependentApprover). */
      role: 'reviewer';
      /** Only reviewers whose reviewer role was granted by someone else (not by themselves, not unknown). */
      reviewerRoleGrantedByOther?: boolean;
      /** `oidc`: approvals only from reviewers signed in through the identity provider (not an API token). */
      via?: 'oidc';
    };

export type GateRuleKind = GateRule['kind'];

/** One gate of a policy: the rules a use case of `tier` must meet to enter `to`. */
export interface GateDefinition {
  tier: RiskTier;
  to: GateTarget;
  rules: GateRule[];
}

/** A policy version: a gate for every tier and target. Versions are never edited, only superseded. */
export interface GatePolicyDocument {
  description?: string;
  gates: GateDefinition[];
}

/** The rules for one tier and target, or null when the policy has no such gate. */
export function gateRules(policy: GatePolicyDocument, tier: RiskTier, to: GateTarget): GateRule[] | null {
  return policy.gates.find((gate) => gate.tier === tier && gate.to === to)?.rules ?? null;
}

/** The approvals a gate needs (0 when it names none). */
export function requiredApprovals(rules: GateRule[]): { count: number; role: 'reviewer' } {
  const rule = rules.find((r): r is Extract<GateRule, { kind: 'approvals' }> => r.kind === 'approvals');
  return { count: rule?.count ?? 0, role: 'reviewer' };
}

/** Whether a gate's approvals must come from reviewers whose reviewer role someone else granted. */
export function approvalsNeedReviewerGrantedByOther(rules: GateRule[]): boolean {
  return rules.some((r) => r.kind === 'approvals' && r.reviewerRoleGrantedByOther === true);
}

/** Whether a gate's approvals must be made in a session opened through the identity provider. */
export function approvalsNeedVia(rules: GateRule[]): 'oidc' | undefined {
  return rules.some((r) => r.kind === 'approvals' && r.via === 'oidc') ? 'oidc' : undefined;
}

/** A short name for a rule, as a reviewer reads it in the checklist. */
export function describeRule(rule: GateRule): string {
  switch (rule.kind) {
    case 'suite_passed': {
      const version = rule.version ? `@${rule.version}` : rule.minVersion ? `@${rule.minVersion}+` : '';
      return `${rule.suite}${version} passed within ${rule.maxAgeDays} days`;
    }
    case 'metric':
      return `${rule.suite} ${rule.metric} ${rule.stat} ${rule.op} ${rule.threshold}`;
    case 'no_regression':
      return `${rule.suite} ${rule.metric}: no significant drop from the last approved run (alpha ${rule.alpha})`;
    case 'unscored_max':
      return `${rule.suite}: unscored or errored items at most ${formatShare(rule.max)}`;
    case 'evidence':
      return `evidence: ${rule.requirement.replace(/_/g, ' ')}`;
    case 'pilot_metric':
      return rule.measure === 'guardrail_failure_rate'
        ? `pilot ${rule.scorer ?? '?'} failure rate ${rule.stat} ${rule.op} ${rule.threshold} (at least ${rule.minCases} scored interactions)`
        : `pilot ${rule.measure.replace(/_/g, ' ')} ${rule.stat} ${rule.op} ${rule.threshold} (at least ${rule.minCases} cases)`;
    case 'human_review':
      return `${rule.suite}: at least ${rule.minItems} items reviewed by independent people, corrected ${rule.metric ?? 'failure'} rate upper95 <= ${rule.maxFailureUpper95}`;
    case 'judge_agreement':
      return `${rule.suite}${rule.metric ? ` ${rule.metric}` : ''}: model judges agree with independent reviewers (${rule.statistic} lower bound >= ${rule.minLower}, at least ${rule.minItems} items)`;
    case 'approvals':
      return `${rule.count} independent ${rule.role} approval${rule.count === 1 ? '' : 's'}${rule.reviewerRoleGrantedByOther ? ' (reviewer role granted by someone else)' : ''}${rule.via === 'oidc' ? ' (signed in through the identity provider)' : ''}`;
  }
}

export function formatShare(value: number): string {
  return `${(value * 100).toFixed(1).replace(/\.0$/, '')}%`;
}
