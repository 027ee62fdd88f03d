import { emptyLiveDay, type LiveDay, type LiveScorerDay } from '@gatehouse/domain';
import { In, IsNull, LessThan, MoreThanOrEqual } from 'typeorm';
import {
  AiUseCaseEntity,
  GatePolicyEntity,
  LiveInteractionEntity,
  LiveScoreEntity,
  StageChangeEntity,
  SuiteEntity,
} from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** What online scoring reads of a use case: its stage, tier and team, and the current gate policy. */
export interface ScoringContextRow {
  ownerTeamId: string;
  stage: AiUseCaseEntity['stage'];
  riskTier: AiUseCaseEntity['riskTier'];
  policy: GatePolicyEntity['document'] | null;
}

/** A period of the measures: started in [start, end), received (and scored) before `receivedBefore`. */
export interface MeasureWindow {
  start: Date;
  end: Date;
  receivedBefore: Date;
}

/** A batch with sampled interactions still unscored. */
export interface StaleBatch {
  aiUseCaseId: string;
  batchId: string;
}

/** Score rows go in chunks of this many (9 columns each: well inside both drivers' parameter limits). */
const SCORE_CHUNK = 200;

/** `YYYY-MM-DD` (UTC) of a timestamp column, per driver. */
const DAY = {
  postgres: (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  sqlite: (column: string) => `substr(${column}, 1, 10)`,
};

type Driver = keyof typeof DAY;

/** Calls, errors, tokens and cost per day of start. */
const callsSql = (day: (c: string) => string) => `
  SELECT ${day('started_at')} AS day, COUNT(*) AS calls,
         SUM(CASE WHEN errored THEN 1 ELSE 0 END) AS errored,
         COALESCE(SUM(input_tokens), 0) AS input_tokens,
         COALESCE(SUM(output_tokens), 0) AS output_tokens,
         COALESCE(SUM(cost_usd), 0) AS cost_usd
    FROM live_interactions
   WHERE ai_use_case_id = ? AND started_at >= ? AND started_at < ? AND received_at < ?
   GROUP BY ${day('started_at')}`;

/**
 * Latency percentiles per day by nearest rank (row ceil(p·n) of the day's durations in order): the integer
 * arithmetic `(n·50 + 99) / 100` is ceil(n/2), `(n·95 + 99) / 100` is ceil(0.95·n), on both drivers.
 */
const latencySql = (day: (c: string) => string) => `
  SELECT day, MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN d END) AS p50,
              MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN d END) AS p95
    FROM (SELECT ${day('started_at')} AS day, duration_ms AS d,
                 ROW_NUMBER() OVER (PARTITION BY ${day('started_at')} ORDER BY duration_ms) AS rn,
                 COUNT(*) OVER (PARTITION BY ${day('started_at')}) AS n
            FROM live_interactions
           WHERE ai_use_case_id = ? AND started_at >= ? AND started_at < ? AND received_at < ?
             AND duration_ms IS NOT NULL) ranked
   GROUP BY day`;

/**
 * Cases (distinct traces, on the day of their first call in the period) and, per feedback kind, the cases with
 * at least one such event (whenever it arrived before the window closed).
 */
const casesSql = (day: (c: string) => string) => `
  SELECT ${day('t.first_at')} AS day, COUNT(*) AS cases,
         SUM(CASE WHEN f.o > 0 THEN 1 ELSE 0 END) AS overrides,
         SUM(CASE WHEN f.u > 0 THEN 1 ELSE 0 END) AS undone,
         SUM(CASE WHEN f.c > 0 THEN 1 ELSE 0 END) AS complaints,
         SUM(CASE WHEN f.i > 0 THEN 1 ELSE 0 END) AS incidents,
         SUM(CASE WHEN f.p > 0 THEN 1 ELSE 0 END) AS positive,
         SUM(CASE WHEN f.n > 0 THEN 1 ELSE 0 END) AS negative
    FROM (SELECT trace_id, MIN(started_at) AS first_at
            FROM live_interactions
           WHERE ai_use_case_id = ? AND started_at >= ? AND started_at < ? AND received_at < ?
           GROUP BY trace_id) t
    LEFT JOIN (SELECT trace_id,
                      SUM(CASE WHEN kind = 'override' THEN 1 ELSE 0 END) AS o,
                      SUM(CASE WHEN kind = 'undo' THEN 1 ELSE 0 END) AS u,
                      SUM(CASE WHEN kind = 'complaint' THEN 1 ELSE 0 END) AS c,
                      SUM(CASE WHEN kind = 'incident' THEN 1 ELSE 0 END) AS i,
                      SUM(CASE WHEN kind = 'positive' THEN 1 ELSE 0 END) AS p,
                      SUM(CASE WHEN kind = 'negative' THEN 1 ELSE 0 END) AS n
                 FROM live_feedback
                WHERE ai_use_case_id = ? AND trace_id IS NOT NULL AND received_at < ?
                GROUP BY trace_id) f ON f.trace_id = t.trace_id
   GROUP BY ${day('t.first_at')}`;

/**
 * Feedback that occurred in the period and names no trace the use case sent (or none at all), in all and per
 * adverse kind (those count against the rates: see summariseLiveMeasures).
 */
const unlinkedSql = (day: (c: string) => string) => `
  SELECT ${day('f.occurred_at')} AS day, COUNT(*) AS unlinked,
         SUM(CASE WHEN f.kind = 'override' THEN 1 ELSE 0 END) AS overrides,
         SUM(CASE WHEN f.kind = 'undo' THEN 1 ELSE 0 END) AS undone,
         SUM(CASE WHEN f.kind = 'complaint' THEN 1 ELSE 0 END) AS complaints,
         SUM(CASE WHEN f.kind = 'incident' THEN 1 ELSE 0 END) AS incidents
    FROM live_feedback f
   WHERE f.ai_use_case_id = ? AND f.occurred_at >= ? AND f.occurred_at < ? AND f.received_at < ?
     AND (f.trace_id IS NULL OR NOT EXISTS (
           SELECT 1 FROM live_interactions i
            WHERE i.ai_use_case_id = f.ai_use_case_id AND i.trace_id = f.trace_id AND i.received_at < ?))
   GROUP BY ${day('f.occurred_at')}`;

/** Online scorers' verdicts per day of the interaction's start. */
const scorersSql = (day: (c: string) => string) => `
  SELECT ${day('started_at')} AS day, scorer, scorer_type,
         SUM(CASE WHEN passed IS NULL THEN 0 ELSE 1 END) AS scored,
         SUM(CASE WHEN passed IS NULL THEN 0 WHEN passed THEN 0 ELSE 1 END) AS failed,
         SUM(CASE WHEN passed IS NULL THEN 1 ELSE 0 END) AS unscored
    FROM live_scores
   WHERE ai_use_case_id = ? AND started_at >= ? AND started_at < ? AND scored_at < ?
   GROUP BY ${day('started_at')}, scorer, scorer_type`;

const STATEMENTS = Object.fromEntries(
  (Object.keys(DAY) as Driver[]).map((driver) => [
    driver,
    {
      calls: callsSql(DAY[driver]),
      latency: latencySql(DAY[driver]),
      cases: casesSql(DAY[driver]),
      unlinked: unlinkedSql(DAY[driver]),
      scorers: scorersSql(DAY[driver]),
    },
  ]),
) as Record<Driver, Record<'calls' | 'latency' | 'cases' | 'unlinked' | 'scorers', string>>;

const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

/** Reads for online scoring and the derived pilot measures; writes of live scores. */
export class LiveMeasuresRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  /** A timestamp as a statement parameter: ISO on PostgreSQL, TypeORM's UTC text on SQLite. */
  private at(date: Date): string {
    const iso = date.toISOString();
    return this.uow.driver === 'postgres' ? iso : iso.replace('T', ' ').replace('Z', '');
  }

  // --- online scoring ---------------------------------------------------------------------------------

  /** The use case's stage, tier and team and the current gate policy (null: no such use case). */
  async scoringContext(tx: Tx, aiUseCaseId: string): Promise<ScoringContextRow | null> {
    const m = managerOf(tx);
    const useCase = await m.findOne(AiUseCaseEntity, {
      where: { id: aiUseCaseId },
      select: { id: true, stage: true, riskTier: true, ownerTeamId: true },
    });
    if (!useCase) {
      return null;
    }
    const policy = await m.findOne(GatePolicyEntity, { where: {}, order: { version: 'DESC' } });
    return {
      ownerTeamId: useCase.ownerTeamId,
      stage: useCase.stage,
      riskTier: useCase.riskTier,
      policy: policy?.document ?? null,
    };
  }

  /** The suite version a rule reads: exactly `version`, else the latest from `minVersion` on. */
  latestSuite(
    tx: Tx,
    name: string,
    constraint: { version?: number; minVersion?: number },
  ): Promise<Pick<SuiteEntity, 'id' | 'name' | 'version' | 'definition'> | null> {
    return managerOf(tx).findOne(SuiteEntity, {
      where: {
        name,
        ...(constraint.version !== undefined
          ? { version: constraint.version }
          : constraint.minVersion !== undefined
            ? { version: MoreThanOrEqual(constraint.minVersion) }
            : {}),
      },
      select: { id: true, name: true, version: true, definition: true },
      order: { version: 'DESC' },
    });
  }

  /** Ids of the batch's sampled interactions not yet scored, in id order. */
  async unscoredIds(tx: Tx, aiUseCaseId: string, batchId: string): Promise<string[]> {
    const rows = await managerOf(tx).find(LiveInteractionEntity, {
      where: { aiUseCaseId, batchId, sampled: true, scoredAt: IsNull() },
      select: { id: true },
      order: { id: 'ASC' },
    });
    return rows.map((row) => row.id);
  }

  /** These interactions, if still unscored (a concurrent run of the job may have scored some). */
  unscored(tx: Tx, ids: string[]): Promise<LiveInteractionEntity[]> {
    return managerOf(tx).find(LiveInteractionEntity, {
      where: { id: In(ids), scoredAt: IsNull() },
      order: { id: 'ASC' },
    });
  }

  /**
   * Stores the verdicts (a verdict already there is kept: a re-run job adds nothing twice) and marks the
   * interactions scored; with `clearText`, their text is deleted in the same statement.
   */
  async recordScores(
    tx: Tx,
    scores: LiveScoreEntity[],
    interactionIds: string[],
    scoredAt: Date,
    clearText: boolean,
  ): Promise<void> {
    const m = managerOf(tx);
    for (let i = 0; i < scores.length; i += SCORE_CHUNK) {
      await m
        .createQueryBuilder()
        .insert()
        .into(LiveScoreEntity)
        .values(scores.slice(i, i + SCORE_CHUNK))
        .orIgnore()
        .execute();
    }
    if (interactionIds.length === 0) {
      return;
    }
    await m
      .createQueryBuilder()
      .update(LiveInteractionEntity)
      .set({
        scoredAt,
        ...(clearText ? { inputText: null, outputText: null, textExpiresAt: null } : {}),
      })
      .where({ id: In(interactionIds), scoredAt: IsNull() })
      .execute();
  }

  /** Batches with sampled interactions received before `before` and still unscored (at most `limit`). */
  async staleBatches(tx: Tx, before: Date, limit: number): Promise<StaleBatch[]> {
    const rows = await managerOf(tx)
      .createQueryBuilder(LiveInteractionEntity, 'i')
      .select('i.ai_use_case_id', 'aiUseCaseId')
      .addSelect('i.batch_id', 'batchId')
      .where({ sampled: true, scoredAt: IsNull(), receivedAt: LessThan(before) })
      .groupBy('i.ai_use_case_id')
      .addGroupBy('i.batch_id')
      .orderBy('i.batch_id', 'ASC')
      .limit(limit)
      .getRawMany<StaleBatch>();
    return rows.map((row) => ({ aiUseCaseId: row.aiUseCaseId, batchId: row.batchId }));
  }

  // --- derived measures --------------------------------------------------------------------------------

  /** When the use case last entered `learn` (null: it never did). */
  async learnSince(tx: Tx, aiUseCaseId: string): Promise<Date | null> {
    const row = await managerOf(tx).findOne(StageChangeEntity, {
      where: { aiUseCaseId, toStage: 'learn' },
      select: { id: true, createdAt: true },
      order: { createdAt: 'DESC' },
    });
    return row?.createdAt ?? null;
  }

  /** Whether the use case sent any model call that started at or after `since`. */
  hasInteractionsSince(tx: Tx, aiUseCaseId: string, since: Date): Promise<boolean> {
    return managerOf(tx).exists(LiveInteractionEntity, {
      where: { aiUseCaseId, startedAt: MoreThanOrEqual(since) },
    });
  }

  /** Each UTC day of the window with any call or unlinked feedback, as the SQL aggregates count it. */
  async days(tx: Tx, aiUseCaseId: string, window: MeasureWindow): Promise<LiveDay[]> {
    const sql = STATEMENTS[this.uow.driver];
    const [start, end, before] = [this.at(window.start), this.at(window.end), this.at(window.receivedBefore)];
    const period = [aiUseCaseId, start, end, before];
    const calls = await this.uow.rows<Record<string, unknown>>(tx, sql.calls, period);
    const latency = await this.uow.rows<Record<string, unknown>>(tx, sql.latency, period);
    const cases = await this.uow.rows<Record<string, unknown>>(tx, sql.cases, [
      ...period,
      aiUseCaseId,
      before,
    ]);
    const unlinked = await this.uow.rows<Record<string, unknown>>(tx, sql.unlinked, [...period, before]);
    const days = new Map<string, LiveDay>();
    const dayOf = (key: unknown): LiveDay => {
      const day = String(key);
      let row = days.get(day);
      if (!row) {
        row = emptyLiveDay(day);
        days.set(day, row);
      }
      return row;
    };
    for (const r of calls) {
      Object.assign(dayOf(r['day']), {
        calls: num(r['calls']),
        errored: num(r['errored']),
        inputTokens: num(r['input_tokens']),
        outputTokens: num(r['output_tokens']),
        costUsd: num(r['cost_usd']),
      });
    }
    for (const r of latency) {
      Object.assign(dayOf(r['day']), {
        latencyP50Ms: numOrNull(r['p50']),
        latencyP95Ms: numOrNull(r['p95']),
      });
    }
    for (const r of cases) {
      Object.assign(dayOf(r['day']), {
        cases: num(r['cases']),
        overrides: num(r['overrides']),
        undone: num(r['undone']),
        complaints: num(r['complaints']),
        incidents: num(r['incidents']),
        positive: num(r['positive']),
        negative: num(r['negative']),
      });
    }
    for (const r of unlinked) {
      Object.assign(dayOf(r['day']), {
        unlinked: num(r['unlinked']),
        unlinkedAdverse: {
          overrides: num(r['overrides']),
          undone: num(r['undone']),
          complaints: num(r['complaints']),
          incidents: num(r['incidents']),
        },
      });
    }
    return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  }

  /** The online scorers' verdicts per UTC day of the window (scored before it closed). */
  async scorerDays(tx: Tx, aiUseCaseId: string, window: MeasureWindow): Promise<LiveScorerDay[]> {
    const rows = await this.uow.rows<Record<string, unknown>>(tx, STATEMENTS[this.uow.driver].scorers, [
      aiUseCaseId,
      this.at(window.start),
      this.at(window.end),
      this.at(window.receivedBefore),
    ]);
    return rows.map((r) => ({
      day: String(r['day']),
      scorer: String(r['scorer']),
      scorerType: String(r['scorer_type']),
      scored: num(r['scored']),
      failed: num(r['failed']),
      unscored: num(r['unscored']),
    }));
  }
}
