import { type ArtefactKind } from '@gatehouse/domain';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** The registry's kinds of published artefact, each a table of versions under a name. */
export type ArtefactTable = 'datasets' | 'suites' | 'cassettes';

/**
 * Who holds an artefact name: the team of the first row published under it. Publishing under a name
 * takes its lock first, so two teams' first uploads of a new name take turns.
 */
export class ArtefactNameRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Inside `write`: on PostgreSQL a transaction-scoped advisory lock on the name (SQLite's single
   * connection already serialises writers).
   */
  async lock(tx: Tx, kind: ArtefactKind, name: string): Promise<void> {
    if (this.uow.driver === 'postgres') {
      await managerOf(tx).query('SELECT pg_advisory_xact_lock(hashtext($1))', [`gatehouse:${kind}:${name}`]);
    }
  }

  /** The first row published under a name (its owner holds the name), or null. */
  async firstOfName(
    tx: Tx,
    table: ArtefactTable,
    name: string,
  ): Promise<{ ownerTeamId: string | null } | null> {
    const row = await managerOf(tx)
      .createQueryBuilder()
      .select('a.owner_team_id', 'ownerTeamId')
      .from(table, 'a')
      .where('a.name = :name', { name })
      .orderBy('a.created_at', 'ASC')
      .limit(1)
      .getRawOne<{ ownerTeamId: string | null }>();
    return row ?? null;
  }
}
