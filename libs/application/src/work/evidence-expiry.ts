import { evidenceExpiry, ruleReadsSuite, type Stage } from '@gatehouse/domain';
import { type LatestPassedRunRow, type Tx, WorkRepository } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';

const DAY_MS = 86_400_000;

/** A use case whose approved stage stands on evidence that goes stale soon (or already has). */
export interface ExpiringEvidence {
  aiUseCaseId: string;
  name: string;
  ownerTeamId: string;
  stage: Stage;
  /** The evaluation whose promotion (or re-approval) put the use case at its stage. */
  evaluationId: string;
  /**
   * When the first of its `suite_passed` rules' evidence grows older than the rule's `maxAgeDays`: the run
   * the evaluation used, or a newer passing run of the suite against the registered target.
   */
  expiresAt: Date;
  /** The run (the one used, or the newer one that renewed it), suite and rule that decide `expiresAt`. */
  runId: string;
  suite: string;
  maxAgeDays: number;
}

/**
 * Evidence going stale, platform-wide: for each use case at test, learn or scale, the evaluation that
 * approved its current stage, and when the runs that evaluation used grow older than the `maxAgeDays` of
 * the `suite_passed` rules that read them, unless a newer passing run of the same suite against the
 * registered target renews the evidence (the run the rule would read next). For the work list (filtered to what the reader may see) and for
 * the notifications that warn teams before it happens. Nothing here checks who is asking.
 */
@Injectable()
export class EvidenceExpiry {
  constructor(private readonly work: WorkRepository) {}

  /**
   * Every use case whose approving evidence is stale by `now + days` (already stale ones included: their
   * `expiresAt` is before `now`), soonest first. `days` is whole days, 0 or more.
   */
  async expiringWithin(tx: Tx, days: number, now: Date): Promise<ExpiringEvidence[]> {
    if (!Number.isFinite(days) || days < 0) {
      throw new RangeError(`expiringWithin: days must be 0 or more, not ${days}`);
    }
    const until = now.getTime() + Math.floor(days) * DAY_MS;
    const stages = await this.work.approvedStages(tx);
    const completed = await this.work.runsCompletedAt(
      tx,
      stages.flatMap((stage) => stage.rules.map((rule) => rule.runId).filter((id): id is string => !!id)),
    );
    const latest = new Map<string, LatestPassedRunRow[]>();
    for (const run of await this.work.latestPassedRuns(tx)) {
      latest.set(run.aiUseCaseId, [...(latest.get(run.aiUseCaseId) ?? []), run]);
    }
    const expiring: ExpiringEvidence[] = [];
    for (const stage of stages) {
      const runs = latest.get(stage.aiUseCaseId) ?? [];
      const point = evidenceExpiry(
        stage.rules,
        (runId) => completed.get(runId) ?? null,
        (rule) =>
          runs
            .filter((run) => ruleReadsSuite(rule, run.suite, run.version))
            .reduce<LatestPassedRunRow | null>(
              (newest, run) =>
                newest === null || run.completedAt.getTime() > newest.completedAt.getTime() ? run : newest,
              null,
            ),
      );
      if (point && point.expiresAt.getTime() <= until) {
        expiring.push({
          aiUseCaseId: stage.aiUseCaseId,
          name: stage.name,
          ownerTeamId: stage.ownerTeamId,
          stage: stage.stage,
          evaluationId: stage.evaluationId,
          expiresAt: point.expiresAt,
          runId: point.runId,
          suite: point.suite,
          maxAgeDays: point.maxAgeDays,
        });
      }
    }
    return expiring.sort(
      (a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || a.aiUseCaseId.localeCompare(b.aiUseCaseId),
    );
  }
}
