import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { varchar } from './migration-columns';

/** Browser sessions for the web pages (signed in with an API token). */
export class CreateWebSessions1766160000000 implements MigrationInterface {
  name = 'CreateWebSessions1766160000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    await queryRunner.createTable(
      new Table({
        name: 'web_sessions',
        columns: [
          { ...varchar('id', 64), isPrimary: true },
          varchar('token_id', 36),
          varchar('csrf_token', 64),
          { name: 'created_at', type: ts, isNullable: false },
          { name: 'expires_at', type: ts, isNullable: false },
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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('web_sessions');
  }
}
