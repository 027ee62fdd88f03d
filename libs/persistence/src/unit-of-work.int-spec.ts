import { GENESIS_HASH } from '@gatehouse/domain';
import {
  createTestDatabase,
  describeIntegration,
  openTestDataSource,
  type TestDatabase,
} from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { AuditLogRepository } from './audit-log.repository';
import { TeamEntity } from './entities';
import { UnitOfWork } from './unit-of-work';

describeIntegration('UnitOfWork', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let uow: UnitOfWork;
  let auditLog: AuditLogRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database);
    uow = new UnitOfWork(dataSource);
    auditLog = new AuditLogRepository(uow);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const team = (name: string) =>
    Object.assign(new TeamEntity(), { id: randomUUID(), name, description: null, createdAt: new Date() });
  const event = (subjectId: string) => ({
    actorId: 'test',
    actorName: 'Test',
    action: 'team.created',
    subjectType: 'team',
    subjectId,
    before: null,
    after: { subjectId },
    reason: null,
    requestId: null,
  });

  it('runs 40 concurrent transactions, each with an audit append, without losing or forking anything', async () => {
    // On SQLite without the mutex, concurrent transactions fail with "cannot start a transaction within a transaction".
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        uow.write(async (m) => {
          const row = team(`Concurrent ${i}`);
          await m.insert(TeamEntity, row);
          await new Promise((resolve) => setImmediate(resolve)); // yield mid-transaction
          return auditLog.append(m, event(row.id));
        }),
      ),
    );
    expect(new Set(results.map((e) => e.seq)).size).toBe(40);
    expect(await uow.read((m) => m.count(TeamEntity))).toBe(40);
    expect(await auditLog.verify()).toMatchObject({ ok: true, eventsChecked: 40 });
  });

  it('rolls back the whole transaction when any part fails: no row, no audit event', async () => {
    const before = await auditLog.verify();
    await expect(
      uow.write(async (m) => {
        const row = team('Half written');
        await m.insert(TeamEntity, row);
        await auditLog.append(m, event(row.id));
        throw new Error('boom after writing');
      }),
    ).rejects.toThrow('boom after writing');
    expect(await uow.read((m) => m.existsBy(TeamEntity, { name: 'Half written' }))).toBe(false);
    expect(await auditLog.verify()).toMatchObject({ ok: true, headSeq: before.headSeq });
    expect(before.headHash).not.toBe(GENESIS_HASH);
  });

  it('lets writeExclusive sections with one key run one at a time', async () => {
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        uow.writeExclusive(42, async () => {
          inside += 1;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 10));
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});
