import { evidenceExpiry, type Stage } from '@gatehouse/domain';
import { type Tx, WorkRepository } from '@gatehouse/persistence';
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
  /** When the first of the runs it used grows older than its rule's `maxAgeDays`. */
  expiresAt: Date;
  /** The run, suite and rule that decide `expiresAt`. */
  runId: string;
  suite: string;
  maxAgeDays: number;
}

/**
 * Evidence going stale, platform-wide: for each use case at test, learn or scale, the evaluation that
 * approved its current stage, and when the runs that evaluation used grow older than the `maxAgeDays` of
 * the `suite_passed` rules that read them. For the work list (filtered to what the reader may see) and for
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
    const expiring: ExpiringEvidence[] = [];
    for (const stage of stages) {
      const point = evidenceExpiry(stage.rules, (runId) => completed.get(runId) ?? null);
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
