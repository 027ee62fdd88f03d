import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableColumn,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { id, integer, json, text, varchar } from './migration-columns';

/**
 * The reviewers' workflow: users known to an identity provider (issuer + subject, and whether their team
 * came from its groups), browser sessions opened
 * through it (no API token), pending identity-provider sign-ins, how each approval was signed in, and
 * notifications (events, webhook endpoints, deliveries). Web sessions are rebuilt: everyone signed in to
 * the pages signs in again once after the upgrade (API tokens are untouched).
 */
export class ReviewerWorkflow1767110400000 implements MigrationInterface {
  name = 'ReviewerWorkflow1767110400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    const at = (name: string, nullable = false) => ({ name, type: ts, isNullable: nullable });

    await queryRunner.addColumns('users', [
      new TableColumn(varchar('oidc_issuer', 255, true)),
      new TableColumn(varchar('oidc_subject', 255, true)),
      new TableColumn(varchar('team_set_by', 64, true)),
    ]);
    await queryRunner.createIndex(
      'users',
      new TableIndex({ name: 'uq_users_oidc', columnNames: ['oidc_issuer', 'oidc_subject'], isUnique: true }),
    );
    await queryRunner.addColumn('gate_approvals', new TableColumn(varchar('via', 16, true)));

    await queryRunner.dropTable('web_sessions');
    await queryRunner.createTable(
      new Table({
        name: 'web_sessions',
        columns: [
          { ...varchar('id', 64), isPrimary: true },
          varchar('user_id', 36),
          varchar('token_id', 36, true),
          varchar('via', 16),
          varchar('csrf_token', 64),
          at('created_at'),
          at('expires_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_web_sessions_user', columnNames: ['user_id'] }),
          new TableIndex({ name: 'idx_web_sessions_token', columnNames: ['token_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
          new TableForeignKey({
            columnNames: ['token_id'],
            referencedTableName: 'api_tokens',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'oidc_sign_ins',
        columns: [
          { ...varchar('id', 64), isPrimary: true },
          varchar('state', 128),
          varchar('nonce', 128),
          varchar('code_verifier', 128),
          varchar('return_to', 500),
          at('created_at'),
          at('expires_at'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'notification_events',
        columns: [
          { ...varchar('id', 160), isPrimary: true },
          varchar('type', 40),
          varchar('team_id', 36, true),
          varchar('ai_use_case_id', 36, true),
          json('payload'),
          at('created_at'),
        ],
        indices: [new TableIndex({ name: 'idx_notification_events_created', columnNames: ['created_at'] })],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'webhook_endpoints',
        columns: [
          id(),
          varchar('name', 120),
          text('url'),
          json('events'),
          varchar('team_id', 36, true),
          text('secret_sealed'),
          varchar('created_by', 64),
          at('created_at'),
          at('disabled_at', true),
        ],
        indices: [new TableIndex({ name: 'idx_webhook_endpoints_team', columnNames: ['team_id'] })],
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
        name: 'notification_deliveries',
        columns: [
          id(),
          varchar('event_id', 160),
          varchar('channel', 16),
          varchar('target_key', 36),
          varchar('endpoint_id', 36, true),
          varchar('recipient_user_id', 36, true),
          varchar('template_id', 64, true),
          varchar('status', 16),
          integer('attempts'),
          text('last_error', true),
          at('next_attempt_at', true),
          at('delivered_at', true),
          at('created_at'),
          at('updated_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_notification_deliveries_target',
            columnNames: ['event_id', 'channel', 'target_key'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'idx_notification_deliveries_status',
            columnNames: ['status', 'updated_at'],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['event_id'],
            referencedTableName: 'notification_events',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
          new TableForeignKey({
            columnNames: ['endpoint_id'],
            referencedTableName: 'webhook_endpoints',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
          new TableForeignKey({
            columnNames: ['recipient_user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('notification_deliveries');
    await queryRunner.dropTable('webhook_endpoints');
    await queryRunner.dropTable('notification_events');
    await queryRunner.dropTable('oidc_sign_ins');
    await queryRunner.dropTable('web_sessions');
    await queryRunner.createTable(
      new Table({
        name: 'web_sessions',
        columns: [
          { ...varchar('id', 64), isPrimary: true },
          varchar('token_id', 36),
          varchar('csrf_token', 64),
          { name: 'created_at', type: timestampTypeFor(queryRunner.connection.driver.options.type) },
          { name: 'expires_at', type: timestampTypeFor(queryRunner.connection.driver.options.type) },
        ],
        indices: [new TableIndex({ name: 'idx_web_sessions_token', columnNames: ['token_id'] })],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['token_id'],
            referencedTableName: 'api_tokens',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await queryRunner.dropColumn('gate_approvals', 'via');
    await queryRunner.dropIndex('users', 'uq_users_oidc');
    await queryRunner.dropColumn('users', 'team_set_by');
    await queryRunner.dropColumn('users', 'oidc_subject');
    await queryRunner.dropColumn('users', 'oidc_issuer');
  }
}
