import {
  createTestDatabase,
  describeIntegration,
  openTestDataSource,
  type TestDatabase,
} from '@gatehouse/testing';
import { type DataSource } from 'typeorm';
import { AuditChainHeadEntity } from './entities';
import { MIGRATIONS } from './migrations';
import { runMigrations } from './data-source';

describeIntegration('migrations', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('leaves no drift between the entities and the migrated schema', async () => {
    const sql = await dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('has applied every migration, and running again applies nothing', async () => {
    expect(await dataSource.showMigrations()).toBe(false);
    expect(await runMigrations(dataSource)).toEqual([]);
    const applied = await dataSource.query('SELECT name FROM gatehouse_migrations ORDER BY id');
    // TypeORM applies migrations by the timestamp in their names (the list is appended to in any order).
    const byTimestamp = MIGRATIONS.map((m) => m.name).sort(
      (a, b) => Number(a.slice(-13)) - Number(b.slice(-13)),
    );
    expect(applied.map((row: { name: string }) => row.name)).toEqual(byTimestamp);
  });

  it('starts the audit chain at its genesis link', async () => {
    const head = await dataSource.manager.findOneByOrFail(AuditChainHeadEntity, { id: 1 });
    expect(head).toEqual({ id: 1, seq: 0, hash: '0'.repeat(64) });
  });

  it('can be rolled back to an empty schema and re-applied', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) {
      await dataSource.undoLastMigration();
    }
    expect(await dataSource.createQueryRunner().hasTable('ai_use_cases')).toBe(false);
    await runMigrations(dataSource);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
