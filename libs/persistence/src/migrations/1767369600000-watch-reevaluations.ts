import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { id, json, varchar } from './migration-columns';

/** Scheduled re-evaluations of live use cases: the suites re-run by the watch and what their comparison found. */
export class WatchReevaluations1767369600000 implements MigrationInterface {
  name = 'WatchReevaluations1767369600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    await queryRunner.createTable(
      new Table({
        name: 'watch_reevaluations',
        columns: [
          id(),
          varchar('ai_use_case_id', 36),
          varchar('after_id', 36),
          varchar('evaluation_id', 36),
          varchar('status', 16),
          json('runs'),
          json('outcome', true),
          { name: 'started_at', type: ts, isNullable: false },
          { name: 'completed_at', type: ts, isNullable: true },
        ],
        indices: [
          new TableIndex({
            name: 'uq_watch_reevaluations_after',
            columnNames: ['ai_use_case_id', 'after_id'],
            isUnique: true,
          }),
          new TableIndex({ name: 'idx_watch_reevaluations_status', columnNames: ['status', 'started_at'] }),
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
    await queryRunner.dropTable('watch_reevaluations');
  }
}
