import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { integer } from './migration-columns';

/** A run's 429 pauses and the waits they asked for: rate limiting shown on the run, not only in logs. */
export class RunRateLimits1767024000000 implements MigrationInterface {
  name = 'RunRateLimits1767024000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('evaluation_runs', [
      new TableColumn({ ...integer('rate_limit_pauses'), default: 0 }),
      new TableColumn({ ...integer('rate_limited_ms'), default: 0 }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('evaluation_runs', 'rate_limited_ms');
    await queryRunner.dropColumn('evaluation_runs', 'rate_limit_pauses');
  }
}
