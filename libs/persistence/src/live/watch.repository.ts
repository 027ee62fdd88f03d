import { In, IsNull, LessThanOrEqual, Not } from 'typeorm';
import {
  AiUseCaseEntity,
  DatasetItemEntity,
  EvaluationRunEntity,
  GateEvaluationEntity,
  LiveFeedbackEntity,
  LiveInteractionEntity,
  LiveScoreEntity,
  ReevaluationEntity,
  type ReevaluationRun,
  SuiteEntity,
  WatchAlertEntity,
} from '../entities';
import { rawDate } from '../raw-rows';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** Rows purged per statement (each in its own transaction, so a big purge never holds long locks). */
const PURGE_CHUNK = 1_000;
/** Live input lengths read for a median (the newest in the window). */
const MAX_LENGTHS = 10_000;
/** Dataset items read for the baseline median. */
const MAX_DATASET_ITEMS = 5_000;

/** A use case the watch looks at, with the evaluation that approved its current stage. */
export interface WatchedUseCase {
  id: string;
  name: string;
  ownerTeamId: string;
  stage: AiUseCaseEntity['stage'];
  targetHash: string | null;
  underChangeSince: Date | null;
  underReviewSince: Date | null;
  /** The evaluation whose promotion (or re-approval) put it at its stage, and the runs that evaluation used. */
  approval: {
    evaluationId: string;
    /** When the stage change that used it happened. */
    approvedAt: Date;
    /** The registered target's hash the evaluation was made on: the configuration that was approved. */
    targetHash: string | null;
    runsUsed: { id: string; suite: string; version: number }[];
  } | null;
}

/** One online scorer's live verdicts in a window. */
export interface LiveRate {
  scorer: string;
  n: number;
  failures: number;
}

const APPROVING_EVALUATIONS_SQL = `
SELECT u.id, s.evaluation_id, s.created_at AS changed_at
  FROM ai_use_cases u
  JOIN stage_changes s ON s.ai_use_case_id = u.id AND s.kind IN ('promotion', 'reapproval')
       AND s.to_stage = u.stage AND s.evaluation_id IS NOT NULL
 WHERE u.stage IN ('learn', 'scale')`;

/** The same, for one use case (the attestation's read). */
const APPROVING_EVALUATION_OF_SQL = `${APPROVING_EVALUATIONS_SQL} AND u.id = ?`;

/**
 * Open alerts a stage change has made moot: the use case's stage changed after the alert opened, or (at
 * learn or scale) the mark the alert set is no longer there (only a stage change clears it).
 */
const STALE_ALERTS_SQL = `
SELECT a.id
  FROM watch_alerts a
  JOIN ai_use_cases u ON u.id = a.ai_use_case_id
 WHERE a.status = 'open'
   AND (EXISTS (SELECT 1 FROM stage_changes s
                 WHERE s.ai_use_case_id = a.ai_use_case_id AND s.created_at > a.opened_at)
        OR (u.stage IN ('learn', 'scale') AND a.kind = 'config_mismatch' AND u.under_change_since IS NULL)
        OR (u.stage IN ('learn', 'scale') AND a.kind <> 'config_mismatch' AND u.under_review_since IS NULL))`;

/** Watch alerts, the under-change/under-review marks, scheduled re-evaluations and the retention purge. */
export class WatchRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  findUseCase(tx: Tx, id: string): Promise<AiUseCaseEntity | null> {
    return managerOf(tx).findOneBy(AiUseCaseEntity, { id });
  }

  /** The use case, its row locked until the transaction ends (inside `write`). */
  lockUseCase(tx: Tx, id: string): Promise<AiUseCaseEntity | null> {
    return managerOf(tx).findOne(AiUseCaseEntity, { where: { id }, lock: this.uow.forUpdate });
  }

  /** Sets `under_change_since` unless set; true when this call set it. */
  async markUnderChange(tx: Tx, id: string, now: Date): Promise<boolean> {
    const result = await managerOf(tx).update(
      AiUseCaseEntity,
      { id, underChangeSince: IsNull() },
      { underChangeSince: now },
    );
    return result.affected === 1;
  }

  /** Sets `under_review_since` unless set; true when this call set it. */
  async markUnderReview(tx: Tx, id: string, now: Date): Promise<boolean> {
    const result = await managerOf(tx).update(
      AiUseCaseEntity,
      { id, underReviewSince: IsNull() },
      { underReviewSince: now },
    );
    return result.affected === 1;
  }

  /** The open alert of the use case with this key, if any. */
  openAlert(tx: Tx, aiUseCaseId: string, dedupeKey: string): Promise<WatchAlertEntity | null> {
    return managerOf(tx).findOneBy(WatchAlertEntity, { aiUseCaseId, openKey: dedupeKey });
  }

  /** Whether the use case ever had an alert with this key (open or resolved). */
  everAlerted(tx: Tx, aiUseCaseId: string, dedupeKey: string): Promise<boolean> {
    return managerOf(tx).existsBy(WatchAlertEntity, { aiUseCaseId, dedupeKey });
  }

  /** When the latest resolved alert with this key was resolved (null: never). */
  async lastResolvedAt(tx: Tx, aiUseCaseId: string, dedupeKey: string): Promise<Date | null> {
    const row = await managerOf(tx).findOne(WatchAlertEntity, {
      where: { aiUseCaseId, dedupeKey, status: 'resolved' },
      order: { resolvedAt: 'DESC' },
      select: { id: true, resolvedAt: true },
    });
    return row?.resolvedAt ?? null;
  }

  /** Inserts an alert (the caller holds the use case's row lock and found no open one with its key). */
  async insertAlert(tx: Tx, row: WatchAlertEntity): Promise<void> {
    await managerOf(tx).insert(WatchAlertEntity, row as never);
  }

  async updateAlertDetails(tx: Tx, id: string, details: Record<string, unknown>): Promise<void> {
    await managerOf(tx).update(WatchAlertEntity, { id, status: 'open' }, { details: details as never });
  }

  /** A resolved alert's details, with what resolved it. */
  async updateResolution(tx: Tx, id: string, details: Record<string, unknown>): Promise<void> {
    await managerOf(tx).update(WatchAlertEntity, { id }, { details: details as never });
  }

  findAlert(tx: Tx, id: string): Promise<WatchAlertEntity | null> {
    return managerOf(tx).findOneBy(WatchAlertEntity, { id });
  }

  /** The use case's alerts, open first, newest first within each. */
  async listAlerts(
    tx: Tx,
    aiUseCaseId: string,
    options: { status?: 'open' | 'resolved'; limit: number },
  ): Promise<WatchAlertEntity[]> {
    const rows = await managerOf(tx).find(WatchAlertEntity, {
      where: { aiUseCaseId, ...(options.status ? { status: options.status } : {}) },
      order: { openedAt: 'DESC', id: 'ASC' },
      take: options.limit,
    });
    return rows.sort((a, b) => Number(a.status !== 'open') - Number(b.status !== 'open'));
  }

  /** Resolves an open alert by compare-and-set; true when this call resolved it. */
  async resolveAlert(tx: Tx, id: string, by: string, now: Date): Promise<boolean> {
    const result = await managerOf(tx).update(
      WatchAlertEntity,
      { id, status: 'open' },
      { status: 'resolved', openKey: null, resolvedAt: now, resolvedBy: by },
    );
    return result.affected === 1;
  }

  /** Open alerts of use cases whose stage changed after the alert opened (the change cleared the marks). */
  async staleOpenAlerts(tx: Tx): Promise<WatchAlertEntity[]> {
    const ids = (await this.uow.rows<{ id: string }>(tx, STALE_ALERTS_SQL, [])).map((r) => r.id);
    return ids.length ? managerOf(tx).find(WatchAlertEntity, { where: { id: In(ids) } }) : [];
  }

  /** Deletes captured text whose retention ended, up to one chunk; returns the rows cleared. */
  async purgeExpiredText(tx: Tx, now: Date): Promise<number> {
    const m = managerOf(tx);
    const due = await m.find(LiveInteractionEntity, {
      where: { textExpiresAt: LessThanOrEqual(now) },
      select: { id: true },
      take: PURGE_CHUNK,
    });
    if (due.length === 0) {
      return 0;
    }
    await m.update(
      LiveInteractionEntity,
      { id: In(due.map((r) => r.id)) },
      { inputText: null, outputText: null, textExpiresAt: null },
    );
    return due.length;
  }

  /** The use cases that still hold feedback notes. */
  async useCasesWithNotes(tx: Tx): Promise<string[]> {
    const rows = await managerOf(tx)
      .createQueryBuilder(LiveFeedbackEntity, 'f')
      .select('DISTINCT f.ai_use_case_id', 'id')
      .where('f.note IS NOT NULL')
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Deletes the notes of the use case's feedback received before `before`, up to one chunk. */
  async purgeNotes(tx: Tx, aiUseCaseId: string, before: Date): Promise<number> {
    const m = managerOf(tx);
    const due = await m.find(LiveFeedbackEntity, {
      where: { aiUseCaseId, note: Not(IsNull()), receivedAt: LessThanOrEqual(before) },
      select: { id: true },
      take: PURGE_CHUNK,
    });
    if (due.length === 0) {
      return 0;
    }
    await m.update(LiveFeedbackEntity, { id: In(due.map((r) => r.id)) }, { note: null });
    return due.length;
  }

  /** Every use case at learn or scale, with the evaluation that approved its stage. */
  async watchedUseCases(tx: Tx, onlyId?: string): Promise<WatchedUseCase[]> {
    const m = managerOf(tx);
    const useCases = await m.find(AiUseCaseEntity, {
      where: { stage: In(['learn', 'scale']), ...(onlyId ? { id: onlyId } : {}) },
      order: { id: 'ASC' },
    });
    if (useCases.length === 0) {
      return [];
    }
    const latest = new Map<string, { evaluationId: string; at: number }>();
    for (const row of await this.uow.rows<{ id: string; evaluation_id: string; changed_at: unknown }>(
      tx,
      onlyId ? APPROVING_EVALUATION_OF_SQL : APPROVING_EVALUATIONS_SQL,
      onlyId ? [onlyId] : [],
    )) {
      const at = rawDate(row.changed_at).getTime();
      const seen = latest.get(row.id);
      if (!seen || at >= seen.at) {
        latest.set(row.id, { evaluationId: row.evaluation_id, at });
      }
    }
    const ids = useCases.flatMap((u) => {
      const approved = latest.get(u.id);
      return approved ? [approved.evaluationId] : [];
    });
    const evaluations = new Map<string, GateEvaluationEntity>();
    for (let i = 0; i < ids.length; i += 500) {
      for (const e of await m.find(GateEvaluationEntity, {
        where: { id: In(ids.slice(i, i + 500)) },
        select: { id: true, result: true, inputs: true },
      })) {
        evaluations.set(e.id, e);
      }
    }
    return useCases.map((u) => {
      const approved = latest.get(u.id);
      const evaluation = approved ? evaluations.get(approved.evaluationId) : undefined;
      return {
        id: u.id,
        name: u.name,
        ownerTeamId: u.ownerTeamId,
        stage: u.stage,
        targetHash: u.targetHash,
        underChangeSince: u.underChangeSince,
        underReviewSince: u.underReviewSince,
        approval: evaluation
          ? {
              evaluationId: evaluation.id,
              approvedAt: new Date(approved?.at ?? 0),
              targetHash: evaluation.inputs?.targetHash ?? null,
              runsUsed: (evaluation.result.runsUsed ?? []).map((r) => ({
                id: r.id,
                suite: r.suite,
                version: r.version,
              })),
            }
          : null,
      };
    });
  }

  /** The use case's latest scheduled re-evaluation. */
  lastReevaluation(tx: Tx, aiUseCaseId: string): Promise<ReevaluationEntity | null> {
    return managerOf(tx).findOne(ReevaluationEntity, {
      where: { aiUseCaseId },
      order: { startedAt: 'DESC', id: 'ASC' },
    });
  }

  /** Inserts the re-evaluation unless one with the same `(ai_use_case_id, after_id)` exists; true when inserted. */
  async claimReevaluation(tx: Tx, row: ReevaluationEntity): Promise<boolean> {
    await managerOf(tx)
      .createQueryBuilder()
      .insert()
      .into(ReevaluationEntity)
      .values(row as never)
      .orIgnore()
      .execute();
    const stored = await managerOf(tx).findOne(ReevaluationEntity, {
      where: { aiUseCaseId: row.aiUseCaseId, afterId: row.afterId },
      select: { id: true },
    });
    return stored?.id === row.id;
  }

  async setReevaluationRuns(tx: Tx, id: string, runs: ReevaluationRun[]): Promise<void> {
    await managerOf(tx).update(ReevaluationEntity, { id }, { runs });
  }

  /** Re-evaluations still waiting for their runs, oldest first. */
  runningReevaluations(tx: Tx): Promise<ReevaluationEntity[]> {
    return managerOf(tx).find(ReevaluationEntity, {
      where: { status: 'running' },
      order: { startedAt: 'ASC', id: 'ASC' },
      take: 200,
    });
  }

  listReevaluations(tx: Tx, aiUseCaseId: string, limit: number): Promise<ReevaluationEntity[]> {
    return managerOf(tx).find(ReevaluationEntity, {
      where: { aiUseCaseId },
      order: { startedAt: 'DESC', id: 'ASC' },
      take: limit,
    });
  }

  /** Ends a running re-evaluation by compare-and-set; true when this call ended it. */
  async finishReevaluation(
    tx: Tx,
    id: string,
    status: 'passed' | 'regressed',
    outcome: ReevaluationEntity['outcome'],
    now: Date,
  ): Promise<boolean> {
    const result = await managerOf(tx).update(
      ReevaluationEntity,
      { id, status: 'running' },
      { status, outcome: outcome as never, completedAt: now },
    );
    return result.affected === 1;
  }

  /** The runs, by id (with what a comparison reads). */
  async runs(tx: Tx, ids: readonly string[]): Promise<Map<string, EvaluationRunEntity>> {
    if (ids.length === 0) {
      return new Map();
    }
    const rows = await managerOf(tx).find(EvaluationRunEntity, { where: { id: In([...ids]) } });
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** Each online scorer's scored verdicts since `since` (unscored ones left out). */
  async liveRates(tx: Tx, aiUseCaseId: string, since: Date): Promise<LiveRate[]> {
    const rows = await managerOf(tx)
      .createQueryBuilder(LiveScoreEntity, 's')
      .select('s.scorer', 'scorer')
      .addSelect('COUNT(*)', 'n')
      .addSelect('SUM(CASE WHEN s.passed THEN 0 ELSE 1 END)', 'failures')
      .where('s.ai_use_case_id = :aiUseCaseId AND s.started_at >= :since AND s.passed IS NOT NULL', {
        aiUseCaseId,
        since,
      })
      .groupBy('s.scorer')
      .orderBy('s.scorer', 'ASC')
      .getRawMany<{ scorer: string; n: unknown; failures: unknown }>();
    return rows.map((r) => ({ scorer: r.scorer, n: Number(r.n), failures: Number(r.failures) }));
  }

  /** Input lengths of the use case's newest live interactions since `since` (at most MAX_LENGTHS). */
  async liveInputLengths(tx: Tx, aiUseCaseId: string, since: Date): Promise<number[]> {
    const rows = await managerOf(tx)
      .createQueryBuilder(LiveInteractionEntity, 'i')
      .select('i.input_chars', 'chars')
      .where('i.ai_use_case_id = :aiUseCaseId AND i.started_at >= :since', { aiUseCaseId, since })
      .orderBy('i.started_at', 'DESC')
      .limit(MAX_LENGTHS)
      .getRawMany<{ chars: unknown }>();
    return rows.map((r) => Number(r.chars));
  }

  /** The inputs of the dataset the run's suite ran on (at most MAX_DATASET_ITEMS). */
  async datasetInputs(tx: Tx, runId: string): Promise<unknown[]> {
    const m = managerOf(tx);
    const run = await m.findOne(EvaluationRunEntity, {
      where: { id: runId },
      select: { id: true, suiteId: true },
    });
    const suite = run
      ? await m.findOne(SuiteEntity, { where: { id: run.suiteId }, select: { id: true, datasetId: true } })
      : null;
    if (!suite) {
      return [];
    }
    const items = await m.find(DatasetItemEntity, {
      where: { datasetId: suite.datasetId },
      order: { seq: 'ASC' },
      take: MAX_DATASET_ITEMS,
    });
    return items.map((i) => (i.item as { input?: unknown }).input);
  }
}
