import { In } from 'typeorm';
import { ProviderConnectionEntity } from '../entities';
import { insertUnique } from '../insert-unique';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** Provider connections (their secrets stay sealed here; the application opens them). */
export class ConnectionRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Every connection, by name. */
  list(): Promise<ProviderConnectionEntity[]> {
    return this.uow.read((tx) => managerOf(tx).find(ProviderConnectionEntity, { order: { name: 'ASC' } }));
  }

  /** The connection called `name`; `forUpdate` locks it for a read-modify-write inside `write`. */
  findByName(tx: Tx, name: string, forUpdate = false): Promise<ProviderConnectionEntity | null> {
    return managerOf(tx).findOne(ProviderConnectionEntity, {
      where: { name },
      lock: forUpdate ? this.uow.forUpdate : undefined,
    });
  }

  /** The connections with these names that exist (in no particular order). */
  findByNames(tx: Tx, names: readonly string[]): Promise<ProviderConnectionEntity[]> {
    return managerOf(tx).findBy(ProviderConnectionEntity, { name: In([...new Set(names)]) });
  }

  /** False when the name is taken (see insertUnique). */
  insert(tx: Tx, connection: ProviderConnectionEntity): Promise<boolean> {
    return insertUnique(managerOf(tx), ProviderConnectionEntity, connection);
  }

  async save(tx: Tx, connection: ProviderConnectionEntity): Promise<void> {
    await managerOf(tx).save(ProviderConnectionEntity, connection);
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await managerOf(tx).delete(ProviderConnectionEntity, { id });
  }
}
