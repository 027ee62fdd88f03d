import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
  TableUnique,
} from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { id, json, text, varchar } from './migration-columns';

/** Teams, users, API tokens, AI use cases with their revisions, and the audit hash chain. */
export class CreateRegister1764086400000 implements MigrationInterface {
  name = 'CreateRegister1764086400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    const at = (name: string, nullable = false) => ({ name, type: ts, isNullable: nullable });

    await queryRunner.createTable(
      new Table({
        name: 'teams',
        columns: [id(), varchar('name', 120), text('description', true), at('created_at')],
        uniques: [new TableUnique({ columnNames: ['name'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          id(),
          varchar('name', 120),
          varchar('email', 254, true),
          varchar('team_id', 36, true),
          json('roles'),
          at('disabled_at', true),
          at('created_at'),
          at('updated_at'),
        ],
        uniques: [new TableUnique({ columnNames: ['email'] })],
        indices: [new TableIndex({ name: 'idx_users_team', columnNames: ['team_id'] })],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['team_id'],
            referencedTableName: 'teams',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'api_tokens',
        columns: [
          id(),
          varchar('user_id', 36),
          varchar('name', 120),
          varchar('token_hash', 64),
          varchar('display_prefix', 16),
          at('created_at'),
          at('expires_at', true),
          at('revoked_at', true),
        ],
        uniques: [new TableUnique({ columnNames: ['token_hash'] })],
        indices: [new TableIndex({ name: 'idx_api_tokens_user', columnNames: ['user_id'] })],
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
    await queryRunner.createTable(
      new Table({
        name: 'ai_use_cases',
        columns: [
          id(),
          varchar('owner_team_id', 36),
          varchar('name', 200),
          varchar('stage', 16),
          varchar('derived_risk_tier', 8),
          varchar('risk_tier', 8),
          json('risk_tier_override', true),
          { name: 'revision', type: 'integer' },
          json('record'),
          varchar('created_by', 64),
          at('created_at'),
          at('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_ai_use_cases_owner_team', columnNames: ['owner_team_id'] }),
          new TableIndex({ name: 'idx_ai_use_cases_stage', columnNames: ['stage'] }),
          new TableIndex({ name: 'idx_ai_use_cases_risk_tier', columnNames: ['risk_tier'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['owner_team_id'],
            referencedTableName: 'teams',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'ai_use_case_revisions',
        columns: [
          id(),
          varchar('ai_use_case_id', 36),
          { name: 'revision', type: 'integer' },
          json('record'),
          varchar('stage', 16),
          varchar('derived_risk_tier', 8),
          varchar('risk_tier', 8),
          json('changed_paths'),
          text('change_reason', true),
          varchar('changed_by', 64),
          at('created_at'),
        ],
        uniques: [
          new TableUnique({
            name: 'uq_ai_use_case_revisions_revision',
            columnNames: ['ai_use_case_id', 'revision'],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['ai_use_case_id'],
            referencedTableName: 'ai_use_cases',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'seq', type: 'integer', isPrimary: true },
          varchar('id', 36),
          at('occurred_at'),
          varchar('actor_id', 64),
          varchar('actor_name', 200),
          varchar('action', 100),
          varchar('subject_type', 50),
          varchar('subject_id', 64),
          json('before', true),
          json('after', true),
          text('reason', true),
          varchar('request_id', 100, true),
          varchar('prev_hash', 64),
          varchar('hash', 64),
        ],
        uniques: [
          new TableUnique({ columnNames: ['id'] }),
          new TableUnique({ columnNames: ['prev_hash'] }),
          new TableUnique({ columnNames: ['hash'] }),
        ],
        indices: [
          new TableIndex({ name: 'idx_audit_events_subject', columnNames: ['subject_type', 'subject_id'] }),
          new TableIndex({ name: 'idx_audit_events_occurred_at', columnNames: ['occurred_at'] }),
          new TableIndex({ name: 'idx_audit_events_actor', columnNames: ['actor_id'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_chain_head',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'seq', type: 'integer' },
          varchar('hash', 64),
        ],
      }),
    );
    await queryRunner.query(
      `INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '${'0'.repeat(64)}')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'audit_chain_head',
      'audit_events',
      'ai_use_case_revisions',
      'ai_use_cases',
      'api_tokens',
      'users',
      'teams',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
