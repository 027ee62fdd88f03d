import { type MigrationInterface, type QueryRunner, Table, TableUnique } from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { id, integer, json, text, varchar } from './migration-columns';

/** Admin-managed provider connections: what platform targets and judges may call, with sealed secrets. */
export class ProviderConnections1766764800000 implements MigrationInterface {
  name = 'ProviderConnections1766764800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    await queryRunner.createTable(
      new Table({
        name: 'provider_connections',
        columns: [
          id(),
          varchar('name', 80),
          varchar('kind', 20),
          varchar('base_url', 2000),
          varchar('description', 500, true),
          json('teams'),
          json('headers'),
          varchar('secret_header', 100, true),
          text('secret_sealed', true),
          integer('revision'),
          varchar('created_by', 64),
          { name: 'created_at', type: ts, isNullable: false },
          { name: 'updated_at', type: ts, isNullable: false },
        ],
        uniques: [new TableUnique({ columnNames: ['name'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('provider_connections');
  }
}
