import { type Tx, type UnitOfWork } from '../unit-of-work';

/**
 * Takes the batch's lease: a new row, or the row of a holder whose lease has expired, in one statement. Two
 * workers taking it at once are serialised on the row (PostgreSQL waits for the other's insert and re-checks
 * the condition on the row it waited for; SQLite has one writer), so one gets a row back and the other none.
 */
const ACQUIRE = `
  INSERT INTO live_scoring_leases (batch_id, ai_use_case_id, holder, held_until)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (batch_id) DO UPDATE
     SET holder = excluded.holder, held_until = excluded.held_until
   WHERE live_scoring_leases.held_until < ?
  RETURNING holder`;

const RENEW = `
  UPDATE live_scoring_leases SET held_until = ?
   WHERE batch_id = ? AND holder = ?
  RETURNING holder`;

const CLEAR_EXPIRED = `
  DELETE FROM live_scoring_leases
   WHERE held_until < ?
  RETURNING batch_id`;

const RELEASE = `
  DELETE FROM live_scoring_leases
   WHERE batch_id = ? AND holder = ?
  RETURNING holder`;

/**
 * Which job run is scoring a live batch with model judges (see LiveScoringService): a lease per batch, held
 * by a random id of the run until a time it keeps moving, so a second worker's job for the batch does not
 * judge it too. Each method is one statement, to run inside a short `write`.
 */
export class LiveScoringLeaseRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  /**
   * Takes the batch's lease for `holder` until `until`: true when it now holds it (there was none, or the
   * last holder's ran out before `now`), false while another holder's lease runs.
   */
  async acquire(
    tx: Tx,
    aiUseCaseId: string,
    batchId: string,
    holder: string,
    until: Date,
    now: Date,
  ): Promise<boolean> {
    const rows = await this.uow.rows<{ holder: string }>(tx, ACQUIRE, [
      batchId,
      aiUseCaseId,
      holder,
      this.timestamp(until),
      this.timestamp(now),
    ]);
    return rows.length > 0;
  }

  /** Moves the lease's end to `until`: true while `holder` still holds it, false once another took it. */
  async renew(tx: Tx, batchId: string, holder: string, until: Date): Promise<boolean> {
    const rows = await this.uow.rows<{ holder: string }>(tx, RENEW, [this.timestamp(until), batchId, holder]);
    return rows.length > 0;
  }

  /** Gives the lease up: true when `holder` held it (a lease another holder took is left to it). */
  async release(tx: Tx, batchId: string, holder: string): Promise<boolean> {
    const rows = await this.uow.rows<{ holder: string }>(tx, RELEASE, [batchId, holder]);
    return rows.length > 0;
  }

  /**
   * Deletes the leases that ran out before `before` (their holder died, and no job for the batch came back
   * to take and release them): an expired lease is the same as none, so this only keeps the table small.
   * Returns how many were deleted.
   */
  async clearExpired(tx: Tx, before: Date): Promise<number> {
    const rows = await this.uow.rows<{ batch_id: string }>(tx, CLEAR_EXPIRED, [this.timestamp(before)]);
    return rows.length;
  }

  /** A timestamp as the column stores it, so SQLite compares it as text in the same form. */
  private timestamp(at: Date): string {
    const iso = at.toISOString();
    return this.uow.driver === 'postgres' ? iso : iso.replace('T', ' ').replace('Z', '');
  }
}
