import { LessThan } from 'typeorm';
import { WebSessionEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** Signed-in browsers (the id is the sha256 of the cookie's secret). */
export class WebSessionRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** The session with its user and (for token sessions) its token loaded. */
  findWithHolder(id: string): Promise<WebSessionEntity | null> {
    return this.uow.read((m) =>
      managerOf(m).findOne(WebSessionEntity, { where: { id }, relations: { user: true, token: true } }),
    );
  }

  async insert(tx: Tx, session: WebSessionEntity): Promise<void> {
    await managerOf(tx).insert(WebSessionEntity, session);
  }

  async deleteExpired(tx: Tx, now: Date): Promise<void> {
    await managerOf(tx).delete(WebSessionEntity, { expiresAt: LessThan(now) });
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await managerOf(tx).delete(WebSessionEntity, { id });
  }
}
