import { type GateRule } from './gate-policy';
import { type RuleVerdict } from './gate-verdict';

const DAY_MS = 86_400_000;

/** When the evidence an approved stage stands on goes stale, and which rule and run decide it. */
export interface EvidenceExpiryPoint {
  expiresAt: Date;
  runId: string;
  suite: string;
  maxAgeDays: number;
}

/** A completed run as freshness evidence: which run, and when it completed. */
export interface CompletedRun {
  runId: string;
  completedAt: Date;
}

/**
 * When the evidence of an evaluation goes stale: for each `suite_passed` rule it judged on a run, the
 * run's completion plus the rule's `maxAgeDays` (the moment `judge` would call the run too old); the
 * earliest of them. A newer passing run of the same suite that the rule would read (`newerRun`, for example
 * the latest passing run against the registered target) renews that rule's evidence: running the suite
 * again is how a team keeps its stage's evidence fresh. Null when no such rule used a run whose completion
 * is known (`completedAt` gives null).
 */
export function evidenceExpiry(
  rules: readonly Pick<RuleVerdict, 'rule' | 'runId'>[],
  completedAt: (runId: string) => Date | null,
  newerRun: (rule: Extract<GateRule, { kind: 'suite_passed' }>) => CompletedRun | null = () => null,
): EvidenceExpiryPoint | null {
  let earliest: EvidenceExpiryPoint | null = null;
  for (const verdict of rules) {
    if (verdict.rule.kind !== 'suite_passed' || verdict.runId === null) {
      continue;
    }
    const completed = completedAt(verdict.runId);
    if (completed === null) {
      continue;
    }
    const renewed = newerRun(verdict.rule);
    const freshest =
      renewed && renewed.completedAt.getTime() > completed.getTime()
        ? renewed
        : { runId: verdict.runId, completedAt: completed };
    const expiresAt = new Date(freshest.completedAt.getTime() + verdict.rule.maxAgeDays * DAY_MS);
    if (earliest === null || expiresAt.getTime() < earliest.expiresAt.getTime()) {
      earliest = {
        expiresAt,
        runId: freshest.runId,
        suite: verdict.rule.suite,
        maxAgeDays: verdict.rule.maxAgeDays,
      };
    }
  }
  return earliest;
}

/** Whether a run of `suite@version` is one a `suite_passed` rule reads (its name and version constraint). */
export function ruleReadsSuite(
  rule: Extract<GateRule, { kind: 'suite_passed' }>,
  suite: string,
  version: number,
): boolean {
  return (
    rule.suite === suite &&
    (rule.version === undefined || rule.version === version) &&
    (rule.minVersion === undefined || version >= rule.minVersion)
  );
}

/**
 * Whole days from `now` until `expiresAt`, rounded down: 0 on its last day, negative once stale (a run is
 * stale when it is more than `maxAgeDays` old, so from `expiresAt` on).
 */
export function daysUntil(expiresAt: Date, now: Date): number {
  return Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS);
}
