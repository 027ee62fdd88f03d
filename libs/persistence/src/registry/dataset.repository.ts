import { setImmediate } from 'node:timers/promises';
import { DatasetEntity, DatasetItemEntity } from '../entities';
import { insertUnique } from '../insert-unique';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

const CHUNK = 500;

/** Dataset versions (immutable, content-addressed) and their items. */
export class DatasetRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findVersion(tx: Tx, name: string, version: number): Promise<DatasetEntity | null> {
    return managerOf(tx).findOneBy(DatasetEntity, { name, version });
  }

  /** The version of `name` that holds this content, if any. */
  findContent(tx: Tx, name: string, sha256: string): Promise<DatasetEntity | null> {
    return managerOf(tx).findOneBy(DatasetEntity, { name, sha256 });
  }

  async latestVersion(tx: Tx, name: string): Promise<number> {
    const latest = await managerOf(tx).findOne(DatasetEntity, {
      where: { name },
      order: { version: 'DESC' },
    });
    return latest?.version ?? 0;
  }

  /** False when the name and version exist already (see insertUnique). */
  insert(tx: Tx, dataset: DatasetEntity): Promise<boolean> {
    return insertUnique(managerOf(tx), DatasetEntity, dataset);
  }

  /** Stores the items in `seq` order as given, in chunks of 500 rows. */
  async insertItems(tx: Tx, datasetId: string, items: readonly { id: string }[]): Promise<void> {
    for (let i = 0; i < items.length; i += CHUNK) {
      const rows = items
        .slice(i, i + CHUNK)
        .map((item, j) => ({ datasetId, itemId: item.id, seq: i + j, item }));
      await managerOf(tx)
        .createQueryBuilder()
        .insert()
        .into(DatasetItemEntity)
        .values(rows)
        .updateEntity(false)
        .execute();
      await setImmediate(); // SQLite inserts synchronously: let the event loop in between chunks.
    }
  }

  /** A page of dataset versions, by name then newest version first, and how many match. */
  page(filter: {
    name?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: DatasetEntity[]; total: number }> {
    return this.uow.read(async (tx) => {
      const [items, total] = await managerOf(tx).findAndCount(DatasetEntity, {
        where: filter.name ? { name: filter.name } : {},
        order: { name: 'ASC', version: 'DESC' },
        take: filter.limit,
        skip: filter.offset,
      });
      return { items, total };
    });
  }

  /** A page of a dataset's items in their stored order. */
  async items(tx: Tx, datasetId: string, limit: number, offset: number): Promise<object[]> {
    const rows = await managerOf(tx).find(DatasetItemEntity, {
      where: { datasetId },
      order: { seq: 'ASC' },
      take: limit,
      skip: offset,
    });
    return rows.map((row) => row.item);
  }
}
