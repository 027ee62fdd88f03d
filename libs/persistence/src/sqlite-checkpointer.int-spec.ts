import { describeIntegration, testDriver, useTestDataSource } from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { TeamEntity } from './entities';

const sqliteOnly = testDriver() === 'sqlite' ? describeIntegration : describe.skip;

sqliteOnly('SQLite write-ahead log checkpoints off the main thread', () => {
  const db = useTestDataSource();

  it('turns off checkpoints in COMMIT, keeps every write, and leaves no log behind when closed', async () => {
    const [setting] = (await db.dataSource.query('PRAGMA wal_autocheckpoint')) as {
      wal_autocheckpoint: number;
    }[];
    expect(setting.wal_autocheckpoint).toBe(0);
    const teams = Array.from({ length: 2000 }, (_, i) =>
      Object.assign(new TeamEntity(), {
        id: randomUUID(),
        name: `team-${i}-${'x'.repeat(200)}`,
        description: 'y'.repeat(500),
        createdAt: new Date(),
      }),
    );
    await db.dataSource.transaction(async (m) => {
      for (let i = 0; i < teams.length; i += 200) {
        await m.insert(TeamEntity, teams.slice(i, i + 200));
      }
    });
    await db.dataSource.destroy();
    const file = (db.database.config as { file: string }).file;
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = await db.reopen();
    expect(await reopened.getRepository(TeamEntity).countBy({ description: 'y'.repeat(500) })).toBe(2000);
  }, 60_000);
});
