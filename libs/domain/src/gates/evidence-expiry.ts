import { type RuleVerdict } from './gate-verdict';

const DAY_MS = 86_400_000;

/** When the evidence an approved stage stands on goes stale, and which rule and run decide it. */
export interface EvidenceExpiryPoint {
  expiresAt: Date;
  runId: string;
  suite: string;
  maxAgeDays: number;
}

/**
 * When the evidence of an evaluation goes stale: for each `suite_passed` rule it judged on a run, the run's
 * completion plus the rule's `maxAgeDays` (the moment `judge` would call the run too old); the earliest of
 * them. Null when no such rule used a run whose completion is known (`completedAt` gives null).
 */
export function evidenceExpiry(
  rules: readonly Pick<RuleVerdict, 'rule' | 'runId'>[],
  completedAt: (runId: string) => Date | null,
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
    const expiresAt = new Date(completed.getTime() + verdict.rule.maxAgeDays * DAY_MS);
    if (earliest === null || expiresAt.getTime() < earliest.expiresAt.getTime()) {
      earliest = {
        expiresAt,
        runId: verdict.runId,
        suite: verdict.rule.suite,
        maxAgeDays: verdict.rule.maxAgeDays,
      };
    }
  }
  return earliest;
}

/**
 * Whole days from `now` until `expiresAt`, rounded down: 0 on its last day, negative once stale (a run is
 * stale when it is more than `maxAgeDays` old, so from `expiresAt` on).
 */
export function daysUntil(expiresAt: Date, now: Date): number {
  return Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS);
}
