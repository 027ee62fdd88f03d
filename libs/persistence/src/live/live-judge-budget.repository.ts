import { LiveJudgeBudgetEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/**
 * Adds `n` calls to the day's count only while the total stays within the budget: one statement, so two
 * workers reserving at once are serialised on the row (PostgreSQL re-checks the condition on the row it
 * waited for; SQLite has one writer) and together never pass the budget. No row back: refused.
 */
const RESERVE = `
  INSERT INTO live_judge_budgets (ai_use_case_id, day, calls, updated_at)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (ai_use_case_id, day) DO UPDATE
     SET calls = live_judge_budgets.calls + excluded.calls, updated_at = excluded.updated_at
   WHERE live_judge_budgets.calls + excluded.calls <= ?
  RETURNING calls`;

/** The model-judge calls online scoring spends per use case and UTC day, against its daily budget. */
export class LiveJudgeBudgetRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  /**
   * Reserves `calls` of the use case's budget for `day` (`YYYY-MM-DD`, UTC), inside a write: true when the
   * day's count plus `calls` stays within `budget` (and the count moved), false when it would not (nothing
   * moved). Keep the transaction short: reserve, commit, then call the judges.
   */
  async reserve(
    tx: Tx,
    reservation: { aiUseCaseId: string; day: string; calls: number; budget: number; at: Date },
  ): Promise<boolean> {
    const { aiUseCaseId, day, calls, budget, at } = reservation;
    if (!Number.isInteger(calls) || calls < 1 || calls > budget) {
      return false;
    }
    const iso = at.toISOString();
    const when = this.uow.driver === 'postgres' ? iso : iso.replace('T', ' ').replace('Z', '');
    const rows = await this.uow.rows<{ calls: number }>(tx, RESERVE, [aiUseCaseId, day, calls, when, budget]);
    return rows.length > 0;
  }

  /** Calls reserved for the use case on `day` (0 when none). */
  async used(tx: Tx, aiUseCaseId: string, day: string): Promise<number> {
    const row = await managerOf(tx).findOne(LiveJudgeBudgetEntity, {
      where: { aiUseCaseId, day },
      select: { aiUseCaseId: true, day: true, calls: true },
    });
    return row?.calls ?? 0;
  }
}
