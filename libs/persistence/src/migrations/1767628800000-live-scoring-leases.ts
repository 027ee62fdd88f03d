import { type MigrationInterface, type QueryRunner, Table, TableForeignKey } from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { varchar } from './migration-columns';

/**
 * Who is scoring a live batch with model judges, until when: one row per batch, taken (or taken over once it
 * has expired) by one conditional upsert, renewed while the judges run and deleted at the end, so jobs of one
 * batch on two workers do not both judge it.
 */
export class LiveScoringLeases1767628800000 implements MigrationInterface {
  name = 'LiveScoringLeases1767628800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    await queryRunner.createTable(
      new Table({
        name: 'live_scoring_leases',
        columns: [
          { ...varchar('batch_id', 36), isPrimary: true },
          varchar('ai_use_case_id', 36),
          varchar('holder', 36),
          { name: 'held_until', type: ts, isNullable: false },
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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('live_scoring_leases');
  }
}
