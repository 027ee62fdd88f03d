import { LiveSettingsEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** Per-use-case live settings (a use case with no row has the defaults). */
export class LiveSettingsRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  find(tx: Tx, aiUseCaseId: string): Promise<LiveSettingsEntity | null> {
    return managerOf(tx).findOneBy(LiveSettingsEntity, { aiUseCaseId });
  }

  /** Every use case that set a re-evaluation schedule or drift policy (the watch reads these). */
  all(tx: Tx): Promise<LiveSettingsEntity[]> {
    return managerOf(tx).find(LiveSettingsEntity, { order: { aiUseCaseId: 'ASC' } });
  }

  async save(tx: Tx, row: LiveSettingsEntity): Promise<void> {
    await managerOf(tx).upsert(LiveSettingsEntity, row as never, ['aiUseCaseId']);
  }
}
