import { type DatasetEntity, SuiteEntity } from '../entities';
import { insertUnique } from '../insert-unique';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** A suite version read with the dataset version it is pinned to. */
export type SuiteWithDataset = SuiteEntity & { dataset: DatasetEntity };

/** Suite versions (immutable), each pinned to one dataset version. */
export class SuiteRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findVersion(tx: Tx, name: string, version: number): Promise<SuiteEntity | null> {
    return managerOf(tx).findOneBy(SuiteEntity, { name, version });
  }

  /** The suite version with its dataset (loaded with it: every suite is pinned to one). */
  async findWithDataset(name: string, version: number): Promise<SuiteWithDataset | null> {
    const suite = await this.uow.read((tx) =>
      managerOf(tx).findOne(SuiteEntity, { where: { name, version }, relations: { dataset: true } }),
    );
    return suite as SuiteWithDataset | null;
  }

  /** False when the name and version exist already (see insertUnique). */
  insert(tx: Tx, suite: SuiteEntity): Promise<boolean> {
    return insertUnique(managerOf(tx), SuiteEntity, suite);
  }

  /** A page of suite versions with their datasets (as in findWithDataset), by name then newest version first, and how many match. */
  page(filter: {
    name?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: SuiteWithDataset[]; total: number }> {
    return this.uow.read(async (tx) => {
      const [items, total] = await managerOf(tx).findAndCount(SuiteEntity, {
        where: filter.name ? { name: filter.name } : {},
        relations: { dataset: true },
        order: { name: 'ASC', version: 'DESC' },
        take: filter.limit,
        skip: filter.offset,
      });
      return { items: items as SuiteWithDataset[], total };
    });
  }
}
