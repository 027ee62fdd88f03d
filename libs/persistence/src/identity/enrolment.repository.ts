import { IsNull } from 'typeorm';
import { EnrolmentEntity } from '../entities';
import { managerOf, type Tx } from '../unit-of-work';

/** One-time enrolment tokens (only their sha256 is stored). */
export class EnrolmentRepository {
  findByHash(tx: Tx, tokenHash: string): Promise<EnrolmentEntity | null> {
    return managerOf(tx).findOneBy(EnrolmentEntity, { tokenHash });
  }

  /** A user's enrolments neither used nor revoked. */
  openOf(tx: Tx, userId: string): Promise<EnrolmentEntity[]> {
    return managerOf(tx).findBy(EnrolmentEntity, { userId, usedAt: IsNull(), revokedAt: IsNull() });
  }

  async insert(tx: Tx, enrolment: EnrolmentEntity): Promise<void> {
    await managerOf(tx).insert(EnrolmentEntity, enrolment);
  }

  async revoke(tx: Tx, id: string, at: Date): Promise<void> {
    await managerOf(tx).update(EnrolmentEntity, { id }, { revokedAt: at });
  }

  /** Spends an enrolment by compare-and-set: true for the one exchange that used it. */
  async spend(tx: Tx, id: string, at: Date): Promise<boolean> {
    const spent = await managerOf(tx)
      .createQueryBuilder()
      .update(EnrolmentEntity)
      .set({ usedAt: at })
      .where('id = :id AND used_at IS NULL AND revoked_at IS NULL', { id })
      .execute();
    return spent.affected === 1;
  }

  /** Records the API token the exchange issued. */
  async linkToken(tx: Tx, id: string, apiTokenId: string): Promise<void> {
    await managerOf(tx).update(EnrolmentEntity, { id }, { apiTokenId });
  }
}
