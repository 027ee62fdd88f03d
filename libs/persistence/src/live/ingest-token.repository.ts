import { IngestTokenEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** What the ingest path needs of a token: whose it is and whether it still counts. */
export interface IngestTokenHolder {
  tokenId: string;
  aiUseCaseId: string;
  revokedAt: Date | null;
}

/** Use cases' ingest tokens (only their sha256 is stored). */
export class IngestTokenRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  async insert(tx: Tx, row: IngestTokenEntity): Promise<void> {
    await managerOf(tx).insert(IngestTokenEntity, row);
  }

  /** The use case's tokens, newest first (revoked ones included). */
  list(tx: Tx, aiUseCaseId: string): Promise<IngestTokenEntity[]> {
    return managerOf(tx).find(IngestTokenEntity, {
      where: { aiUseCaseId },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
  }

  /** How many of the use case's tokens are not revoked (the cap on active tokens counts these). */
  countActive(tx: Tx, aiUseCaseId: string): Promise<number> {
    return managerOf(tx)
      .createQueryBuilder(IngestTokenEntity, 't')
      .where('t.ai_use_case_id = :aiUseCaseId AND t.revoked_at IS NULL', { aiUseCaseId })
      .getCount();
  }

  findById(tx: Tx, id: string): Promise<IngestTokenEntity | null> {
    return managerOf(tx).findOneBy(IngestTokenEntity, { id });
  }

  async findByHash(tx: Tx, tokenHash: string): Promise<IngestTokenHolder | null> {
    const row = await managerOf(tx).findOne(IngestTokenEntity, {
      where: { tokenHash },
      select: { id: true, aiUseCaseId: true, revokedAt: true },
    });
    return row ? { tokenId: row.id, aiUseCaseId: row.aiUseCaseId, revokedAt: row.revokedAt } : null;
  }

  /** Revokes the token if it is not yet; true when this call revoked it. */
  async revoke(tx: Tx, id: string, at: Date): Promise<boolean> {
    const result = await managerOf(tx)
      .createQueryBuilder()
      .update(IngestTokenEntity)
      .set({ revokedAt: at })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    return result.affected === 1;
  }
}
