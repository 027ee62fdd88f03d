import { describeIntegration, useTestDataSource } from '@gatehouse/testing';
import { ArtefactOwnership1766851200000 } from './1766851200000-artefact-ownership';

/** Existing artefacts get their creator's team as owner; one without a team (the examples) stays the platform's. */
describeIntegration('migration ArtefactOwnership1766851200000', () => {
  const db = useTestDataSource();

  it("sets owner_team_id from the creator's team and published_at from created_at", async () => {
    const migration = new ArtefactOwnership1766851200000();
    const runner = db.dataSource.createQueryRunner();
    const at = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        db.dataSource.options.type === 'postgres' ? `$${i + 1}` : '?',
      ).join(', ');
    const created = '2026-01-02 03:04:05.000';
    try {
      await migration.down(runner);
      // Raw SQL: the entities already have the columns this test removed.
      await db.dataSource.query(`INSERT INTO teams (id, name, created_at) VALUES (${at(3)})`, [
        'team-b',
        'Benefits',
        created,
      ]);
      await db.dataSource.query(
        `INSERT INTO users (id, name, roles, team_id, created_at, updated_at) VALUES (${at(6)})`,
        ['vic', 'Vic', JSON.stringify(['engineer']), 'team-b', created, created],
      );
      const cassette = (id: string, createdBy: string) =>
        db.dataSource.query(
          `INSERT INTO cassettes (id, name, sha256, entry_count, content, created_by, created_at) VALUES (${at(7)})`,
          [id, `bot-${id}`, id.padEnd(64, '0'), 0, '', createdBy, created],
        );
      await cassette('a', 'vic');
      await cassette('b', 'system');
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const rows = (await db.dataSource.query(
      'SELECT id, owner_team_id, recorded_from, published_at FROM cassettes ORDER BY id',
    )) as { id: string; owner_team_id: string | null; recorded_from: string | null; published_at: unknown }[];
    expect(rows.map((r) => [r.id, r.owner_team_id, r.recorded_from])).toEqual([
      ['a', 'team-b', null],
      ['b', null, null],
    ]);
    expect(rows.every((r) => new Date(String(r.published_at)).getTime() > 0)).toBe(true);
  });
});
