import { In, Like } from 'typeorm';
import { CassetteEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** What pinning and ownership read of a cassette row (not its content). */
export type CassetteRow = Pick<
  CassetteEntity,
  'name' | 'sha256' | 'ownerTeamId' | 'recordedFrom' | 'createdAt' | 'publishedAt'
>;

const ROW = {
  name: true,
  sha256: true,
  ownerTeamId: true,
  recordedFrom: true,
  createdAt: true,
  publishedAt: true,
} as const;

/** Replay cassettes: several contents may share a name; one content under a name is one row. */
export class CassetteRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * The rows named `name` or `name.*` (a replay target's cassette and its judges'). Static because the
   * cassette pinning that reads them runs as plain functions inside callers' transactions.
   */
  static async namedUnder(tx: Tx, name: string): Promise<CassetteRow[]> {
    const rows = await managerOf(tx).find(CassetteEntity, {
      select: ROW,
      where: [{ name }, { name: Like(`${name}.%`) }],
    });
    // LIKE treats `_` and `%` in the name as wildcards: keep the exact matches only.
    return rows.filter((row) => row.name === name || row.name.startsWith(`${name}.`));
  }

  /** The rows a set of pins (name → sha256) may point at (filter on both to find each pin's own). */
  static pinnedBy(tx: Tx, pins: Record<string, string>): Promise<CassetteRow[]> {
    return managerOf(tx).find(CassetteEntity, {
      select: ROW,
      where: { name: In(Object.keys(pins)), sha256: In(Object.values(pins)) },
    });
  }

  /** The row holding this content under this name (not the content itself). */
  findContent(
    tx: Tx,
    name: string,
    sha256: string,
  ): Promise<Pick<CassetteEntity, 'id' | 'sha256' | 'entryCount' | 'ownerTeamId' | 'publishedAt'> | null> {
    return managerOf(tx).findOne(CassetteEntity, {
      where: { name, sha256 },
      select: { id: true, sha256: true, entryCount: true, ownerTeamId: true, publishedAt: true },
    });
  }

  async insert(tx: Tx, cassette: CassetteEntity): Promise<void> {
    await managerOf(tx).insert(CassetteEntity, cassette);
  }

  /** Makes a row its name's current content again (what a target registered next pins). */
  async republish(tx: Tx, id: string, at: Date): Promise<void> {
    await managerOf(tx).update(CassetteEntity, { id }, { publishedAt: at });
  }

  /** Every cassette row without its content, by name then newest upload first. */
  list(): Promise<Pick<CassetteEntity, 'name' | 'sha256' | 'entryCount' | 'createdAt'>[]> {
    return this.uow.read((tx) =>
      managerOf(tx).find(CassetteEntity, {
        select: { name: true, sha256: true, entryCount: true, createdAt: true },
        order: { name: 'ASC', createdAt: 'DESC' },
      }),
    );
  }

  /** The content stored under this name and hash, or null. */
  async content(name: string, sha256: string): Promise<string | null> {
    const row = await this.uow.read((tx) => managerOf(tx).findOneBy(CassetteEntity, { name, sha256 }));
    return row?.content ?? null;
  }

  existsNamed(name: string): Promise<boolean> {
    return this.uow.read((tx) => managerOf(tx).existsBy(CassetteEntity, { name }));
  }
}
