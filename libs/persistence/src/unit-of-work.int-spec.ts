import { GENESIS_HASH } from '@gatehouse/domain';
import { describeIntegration, useTestDataSource } from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { AuditLogRepository } from './audit-log.repository';
import { TeamEntity, UserEntity } from './entities';
import { rawDate, rawDateOrNull, rawJson } from './raw-rows';
import { managerOf, readWith, type UnitOfWork, writeWith } from './unit-of-work';

describeIntegration('UnitOfWork', () => {
  const db = useTestDataSource();
  let uow: UnitOfWork;
  let auditLog: AuditLogRepository;

  beforeAll(() => {
    uow = db.uow;
    auditLog = new AuditLogRepository(uow);
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
        uow.write(async (tx) => {
          const row = team(`Concurrent ${i}`);
          await managerOf(tx).insert(TeamEntity, row);
          await new Promise((resolve) => setImmediate(resolve)); // yield mid-transaction
          return auditLog.append(tx, event(row.id));
        }),
      ),
    );
    expect(new Set(results.map((e) => e.seq)).size).toBe(40);
    expect(await readWith(uow, (m) => m.count(TeamEntity))).toBe(40);
    expect(await auditLog.verify()).toMatchObject({ ok: true, eventsChecked: 40 });
  });

  it('rolls back the whole transaction when any part fails: no row, no audit event', async () => {
    // Given a chain past its genesis link, which the rolled-back append must leave as it was.
    await uow.write((tx) => auditLog.append(tx, event(randomUUID())));
    const before = await auditLog.verify();
    await expect(
      uow.write(async (tx) => {
        const row = team('Half written');
        await managerOf(tx).insert(TeamEntity, row);
        await auditLog.append(tx, event(row.id));
        throw new Error('boom after writing');
      }),
    ).rejects.toThrow('boom after writing');
    expect(await readWith(uow, (m) => m.existsBy(TeamEntity, { name: 'Half written' }))).toBe(false);
    expect(await auditLog.verify()).toMatchObject({ ok: true, headSeq: before.headSeq });
    expect(before.headHash).not.toBe(GENESIS_HASH);
  });

  it('runs hand-written statements on either driver: placeholders, JSON and timestamps read alike', async () => {
    const createdAt = new Date('2026-03-04T05:06:07.089Z');
    const user = Object.assign(new UserEntity(), {
      id: randomUUID(),
      name: 'Raw Reader',
      email: null,
      teamId: null,
      roles: ['reviewer', 'engineer'],
      disabledAt: null,
      createdAt,
      updatedAt: createdAt,
    });
    await writeWith(uow, (m) => m.insert(UserEntity, user));
    const sql = 'SELECT id, roles, created_at, disabled_at FROM users WHERE id = ? AND name = ?';
    // Twice: on PostgreSQL the second call runs the statement the connection has prepared.
    for (let i = 0; i < 2; i++) {
      const rows = await uow.read((tx) =>
        uow.rows<{ id: string; roles: unknown; created_at: unknown; disabled_at: unknown }>(tx, sql, [
          user.id,
          'Raw Reader',
        ]),
      );
      expect(rows).toHaveLength(1);
      expect(rawJson(rows[0].roles)).toEqual(['reviewer', 'engineer']);
      expect(rawDate(rows[0].created_at).toISOString()).toBe(createdAt.toISOString());
      expect(rawDateOrNull(rows[0].disabled_at)).toBeNull();
    }
    expect(await uow.read((tx) => uow.rows(tx, sql, [user.id, 'Someone else']))).toEqual([]);
  });

  it('runs a hand-written statement inside write on the transaction: it sees its rows, and rolls back', async () => {
    const row = team('Seen inside');
    await expect(
      uow.write(async (tx) => {
        await managerOf(tx).insert(TeamEntity, row);
        const seen = await uow.rows<{ name: string }>(tx, 'SELECT name FROM teams WHERE id = ?', [row.id]);
        expect(seen).toEqual([{ name: 'Seen inside' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await uow.read((tx) => uow.rows(tx, 'SELECT name FROM teams WHERE id = ?', [row.id]))).toEqual([]);
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
