import { GatePolicyEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** Gate policy versions: only ever added, never edited. */
export class GatePolicyRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  /** Every version, newest (current) first. */
  list(tx: Tx): Promise<GatePolicyEntity[]> {
    return managerOf(tx).find(GatePolicyEntity, { order: { version: 'DESC' } });
  }

  byVersion(tx: Tx, version: number): Promise<GatePolicyEntity | null> {
    return managerOf(tx).findOneBy(GatePolicyEntity, { version });
  }

  byId(tx: Tx, id: string): Promise<GatePolicyEntity | null> {
    return managerOf(tx).findOneBy(GatePolicyEntity, { id });
  }

  /** The current (newest) version, or null before the first is seeded. */
  latest(tx: Tx): Promise<GatePolicyEntity | null> {
    return managerOf(tx).findOne(GatePolicyEntity, { where: {}, order: { version: 'DESC' } });
  }

  /** The current version number, 0 when there is none. */
  async currentVersion(tx: Tx): Promise<number> {
    const row = await managerOf(tx).findOne(GatePolicyEntity, {
      where: {},
      order: { version: 'DESC' },
      select: { version: true },
    });
    return row?.version ?? 0;
  }

  any(tx: Tx): Promise<boolean> {
    return managerOf(tx).exists(GatePolicyEntity);
  }

  async insert(tx: Tx, row: GatePolicyEntity): Promise<void> {
    await managerOf(tx).insert(GatePolicyEntity, row);
  }
}
