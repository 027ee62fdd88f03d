import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableColumn,
  TableForeignKey,
  TableIndex,
  TableUnique,
} from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { id, json, varchar } from './migration-columns';

type Grants = Record<string, string>;

/**
 * Enrolment tokens (a new user's one-time first credential) and who granted each role a user holds.
 * Existing users' grants are rebuilt from the audit log of user changes; a user whose history is not in
 * the log keeps null (unknown), which a gate asking for reviewers granted by someone else refuses.
 */
export class IdentityEnrolment1766937600000 implements MigrationInterface {
  name = 'IdentityEnrolment1766937600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    const at = (name: string, nullable = false) => ({ name, type: ts, isNullable: nullable });
    await queryRunner.addColumn('users', new TableColumn(json('roles_granted_by', true)));
    await queryRunner.createTable(
      new Table({
        name: 'enrolments',
        columns: [
          id(),
          varchar('user_id', 36),
          varchar('token_hash', 64),
          varchar('display_prefix', 16),
          varchar('created_by', 64),
          at('created_at'),
          at('expires_at'),
          at('used_at', true),
          varchar('api_token_id', 36, true),
          at('revoked_at', true),
        ],
        uniques: [new TableUnique({ columnNames: ['token_hash'] })],
        indices: [new TableIndex({ name: 'idx_enrolments_user', columnNames: ['user_id'] })],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await this.rebuildGrants(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('enrolments');
    await queryRunner.dropColumn('users', 'roles_granted_by');
  }

  /** Replays user.created / user.updated events: a role appearing is granted by that event's actor. */
  private async rebuildGrants(queryRunner: QueryRunner): Promise<void> {
    const events = (await queryRunner.query(
      `SELECT subject_id, actor_id, after FROM audit_events
        WHERE subject_type = 'user' AND action IN ('user.created', 'user.updated', 'user.disabled')
        ORDER BY seq`,
    )) as { subject_id: string; actor_id: string; after: unknown }[];
    const history = new Map<string, { roles: string[]; grants: Grants }>();
    for (const event of events) {
      const roles = rolesOf(event.after);
      if (!roles) {
        continue;
      }
      const before = history.get(event.subject_id) ?? { roles: [], grants: {} };
      const grants: Grants = {};
      for (const role of roles) {
        grants[role] = before.roles.includes(role) ? before.grants[role] : event.actor_id;
      }
      history.set(event.subject_id, { roles, grants });
    }
    const users = (await queryRunner.query('SELECT id, roles FROM users')) as {
      id: string;
      roles: unknown;
    }[];
    const [grantsAt, idAt] =
      queryRunner.connection.driver.options.type === 'postgres' ? ['$1', '$2'] : ['?', '?'];
    for (const user of users) {
      const known = history.get(user.id);
      const roles = rolesOf({ roles: user.roles }) ?? [];
      if (!known || roles.some((role) => !known.roles.includes(role))) {
        continue; // history incomplete: leave unknown
      }
      const grants = Object.fromEntries(roles.map((role) => [role, known.grants[role]]));
      await queryRunner.query(`UPDATE users SET roles_granted_by = ${grantsAt} WHERE id = ${idAt}`, [
        JSON.stringify(grants),
        user.id,
      ]);
    }
  }
}

function rolesOf(view: unknown): string[] | null {
  const parsed = typeof view === 'string' ? (JSON.parse(view) as unknown) : view;
  if (typeof parsed !== 'object' || parsed === null) {
    return null;
  }
  const roles = (parsed as { roles?: unknown }).roles;
  const list = typeof roles === 'string' ? (JSON.parse(roles) as unknown) : roles;
  return Array.isArray(list) && list.every((r) => typeof r === 'string') ? list : null;
}
