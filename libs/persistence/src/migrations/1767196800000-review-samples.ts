import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { double, id, integer, json, text, varchar } from './migration-columns';

/**
 * Human review of run items: samples drawn from a completed run by a recorded design (immutable, hashed),
 * their items with design weights, and people's reviews of them (never edited: a new revision supersedes
 * the reviewer's earlier one).
 */
export class ReviewSamples1767196800000 implements MigrationInterface {
  name = 'ReviewSamples1767196800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    const at = (name: string) => ({ name, type: ts, isNullable: false });

    await queryRunner.createTable(
      new Table({
        name: 'review_samples',
        columns: [
          id(),
          varchar('run_id', 36),
          varchar('ai_use_case_id', 36, true),
          json('design'),
          json('strata'),
          integer('population'),
          integer('size'),
          varchar('hash', 64),
          varchar('created_by', 64),
          at('created_at'),
        ],
        indices: [new TableIndex({ name: 'idx_review_samples_run', columnNames: ['run_id'] })],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['run_id'],
            referencedTableName: 'evaluation_runs',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'review_sample_items',
        columns: [
          { ...varchar('sample_id', 36), isPrimary: true },
          { ...integer('position'), isPrimary: true },
          varchar('item_id', 200),
          integer('epoch'),
          varchar('stratum', 300),
          double('weight'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_review_sample_items_item',
            columnNames: ['sample_id', 'item_id', 'epoch'],
            isUnique: true,
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['sample_id'],
            referencedTableName: 'review_samples',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'item_reviews',
        columns: [
          id(),
          varchar('sample_id', 36),
          integer('position'),
          varchar('reviewer_id', 36),
          varchar('reviewer_key', 300),
          varchar('rater', 200, true),
          integer('revision'),
          varchar('supersedes_id', 36, true),
          json('verdicts'),
          text('note', true),
          varchar('source', 16),
          at('created_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_item_reviews_revision',
            columnNames: ['sample_id', 'position', 'reviewer_key', 'revision'],
            isUnique: true,
          }),
          new TableIndex({ name: 'idx_item_reviews_reviewer', columnNames: ['reviewer_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['sample_id'],
            referencedTableName: 'review_samples',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
          new TableForeignKey({
            columnNames: ['reviewer_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('item_reviews');
    await queryRunner.dropTable('review_sample_items');
    await queryRunner.dropTable('review_samples');
  }
}
