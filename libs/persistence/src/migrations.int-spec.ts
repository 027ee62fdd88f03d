import { describeIntegration, useTestDataSource } from '@gatehouse/testing';
import { AuditChainHeadEntity } from './entities';
import { MIGRATIONS } from './migrations';
import { runMigrations } from './data-source';

describeIntegration('migrations', () => {
  const db = useTestDataSource();

  it('leaves no drift between the entities and the migrated schema', async () => {
    const sql = await db.dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('has applied every migration, and running again applies nothing', async () => {
    expect(await db.dataSource.showMigrations()).toBe(false);
    expect(await runMigrations(db.dataSource)).toEqual([]);
    const applied = await db.dataSource.query('SELECT name FROM gatehouse_migrations ORDER BY id');
    // TypeORM applies migrations by the timestamp in their names (the list is appended to in any order).
    const byTimestamp = MIGRATIONS.map((m) => m.name).sort(
      (a, b) => Number(a.slice(-13)) - Number(b.slice(-13)),
    );
    expect(applied.map((row: { name: string }) => row.name)).toEqual(byTimestamp);
  });

  it('starts the audit chain at its genesis link', async () => {
    const head = await db.dataSource.manager.findOneByOrFail(AuditChainHeadEntity, { id: 1 });
    expect(head).toEqual({ id: 1, seq: 0, hash: '0'.repeat(64) });
  });

  it('can be rolled back to an empty schema and re-applied', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) {
      await db.dataSource.undoLastMigration();
    }
    expect(await db.dataSource.createQueryRunner().hasTable('ai_use_cases')).toBe(false);
    await runMigrations(db.dataSource);
    expect((await db.dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
