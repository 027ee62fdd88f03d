import { TransparencyRecordEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** Published transparency records, one per use case. */
export class TransparencyRecordRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  ofUseCase(tx: Tx, useCaseId: string): Promise<TransparencyRecordEntity | null> {
    return managerOf(tx).findOneBy(TransparencyRecordEntity, { aiUseCaseId: useCaseId });
  }

  /** Inserts or updates the record (keyed by its use case). */
  async save(tx: Tx, row: TransparencyRecordEntity): Promise<void> {
    await managerOf(tx).save(TransparencyRecordEntity, row);
  }

  /** The newest-changed records first. */
  list(tx: Tx, take: number): Promise<TransparencyRecordEntity[]> {
    return managerOf(tx).find(TransparencyRecordEntity, { order: { updatedAt: 'DESC' }, take });
  }
}
