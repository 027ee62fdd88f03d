import { describeIntegration, useTestDataSource } from '@gatehouse/testing';
import { AuditLogRepository } from '../audit-log.repository';
import { IdentityEnrolment1766937600000 } from './1766937600000-identity-enrolment';

/** The migration rebuilds who granted each existing user's roles from the audit log of user changes. */
describeIntegration('migration IdentityEnrolment1766937600000', () => {
  const db = useTestDataSource();

  it('sets rolesGrantedBy from user.created / user.updated events, and leaves untraceable users unknown', async () => {
    const migration = new IdentityEnrolment1766937600000();
    const runner = db.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      const uow = db.uow;
      const audit = new AuditLogRepository(uow);
      const now = new Date().toISOString();
      const at = (i: number) => (db.dataSource.options.type === 'postgres' ? `$${i}` : '?');
      // Raw SQL: the entity already has the column this test removed.
      const insertUser = (id: string, roles: string[]) =>
        db.dataSource.query(
          `INSERT INTO users (id, name, roles, created_at, updated_at) VALUES (${[1, 2, 3, 4, 5].map(at).join(', ')})`,
          [id, id, JSON.stringify(roles), now, now],
        );
      await insertUser('ada', ['admin']);
      await insertUser('rob', ['engineer', 'reviewer']);
      await insertUser('lee', ['reviewer']);
      await insertUser('max', ['reviewer', 'admin']);
      const event = (actorId: string, action: string, subjectId: string, roles: string[]) =>
        uow.write((m) =>
          audit.append(m, {
            actorId,
            actorName: actorId,
            action,
            subjectType: 'user',
            subjectId,
            before: null,
            after: { id: subjectId, roles },
            reason: null,
            requestId: null,
          }),
        );
      await event('system', 'user.created', 'ada', ['admin']);
      await event('ada', 'user.created', 'rob', ['engineer']);
      await event('rob', 'user.updated', 'rob', ['engineer', 'reviewer']); // granted itself, before the ban
      await event('ada', 'user.updated', 'rob', ['engineer', 'reviewer']); // a later change keeps the grantor
      await event('ada', 'user.created', 'max', ['reviewer']); // admin granted off the record
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const rows = (await db.dataSource.query('SELECT id, roles_granted_by FROM users ORDER BY id')) as {
      id: string;
      roles_granted_by: unknown;
    }[];
    const grants = Object.fromEntries(
      rows.map((row) => [
        row.id,
        typeof row.roles_granted_by === 'string' ? JSON.parse(row.roles_granted_by) : row.roles_granted_by,
      ]),
    );
    expect(grants).toEqual({
      ada: { admin: 'system' },
      rob: { engineer: 'ada', reviewer: 'rob' },
      lee: null,
      max: null,
    });
  });
});
