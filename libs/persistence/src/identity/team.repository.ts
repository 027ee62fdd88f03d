import { In } from 'typeorm';
import { TeamEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';
import { insertUnique } from '../insert-unique';

/** Teams: people and AI use cases belong to one. */
export class TeamRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findById(tx: Tx, id: string): Promise<TeamEntity | null> {
    return managerOf(tx).findOneBy(TeamEntity, { id });
  }

  findByName(tx: Tx, name: string): Promise<TeamEntity | null> {
    return managerOf(tx).findOneBy(TeamEntity, { name });
  }

  existsNamed(tx: Tx, name: string): Promise<boolean> {
    return managerOf(tx).existsBy(TeamEntity, { name });
  }

  /** The teams with these ids that exist (in no particular order). */
  findByIds(tx: Tx, ids: readonly string[]): Promise<TeamEntity[]> {
    return ids.length === 0 ? Promise.resolve([]) : managerOf(tx).findBy(TeamEntity, { id: In([...ids]) });
  }

  /** False when the name is taken (see insertUnique). */
  insert(tx: Tx, team: TeamEntity): Promise<boolean> {
    return insertUnique(managerOf(tx), TeamEntity, team);
  }

  /** Every team, by name. */
  list(): Promise<TeamEntity[]> {
    return this.uow.read((m) => managerOf(m).find(TeamEntity, { order: { name: 'ASC' } }));
  }
}
