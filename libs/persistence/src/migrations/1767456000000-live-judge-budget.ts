import { type MigrationInterface, type QueryRunner, Table, TableForeignKey } from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { integer, varchar } from './migration-columns';

/**
 * The model-judge calls online scoring spent per use case and UTC day: reserved by one conditional upsert
 * before each call, so workers together never spend more than the use case's `judgeCallsPerDay`.
 */
export class LiveJudgeBudget1767456000000 implements MigrationInterface {
  name = 'LiveJudgeBudget1767456000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    await queryRunner.createTable(
      new Table({
        name: 'live_judge_budgets',
        columns: [
          { ...varchar('ai_use_case_id', 36), isPrimary: true },
          { ...varchar('day', 10), isPrimary: true },
          integer('calls'),
          { name: 'updated_at', type: ts, isNullable: false },
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
    await queryRunner.dropTable('live_judge_budgets');
  }
}
