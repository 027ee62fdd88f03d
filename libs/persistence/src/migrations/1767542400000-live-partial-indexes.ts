import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/** Only the sampled interactions still waiting for their verdicts (about a tenth of the rows, briefly). */
const UNSCORED_WHERE = '"sampled" = true AND "scored_at" IS NULL';
/** Only the interactions that keep text (captured, or sampled until scored). */
const TEXT_EXPIRY_WHERE = '"text_expires_at" IS NOT NULL';

/**
 * Two of live_interactions' indexes become partial, so a model call that keeps no text and is not in the
 * sample (most of the traffic) is written to three indexes instead of five:
 *
 * - `idx_live_interactions_batch` (every row's batch) becomes `idx_live_interactions_unscored`: the batch of
 *   sampled rows not yet scored. It is what the scoring job (a batch's unscored rows) and the watch's sweep
 *   of batches left unscored read; the sweep, which had no index to use, no longer scans the whole table.
 * - `idx_live_interactions_text_expiry` keeps only rows with text to delete (the purge reads `<= now`).
 */
export class LivePartialIndexes1767542400000 implements MigrationInterface {
  name = 'LivePartialIndexes1767542400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('live_interactions', 'idx_live_interactions_batch');
    await queryRunner.createIndex(
      'live_interactions',
      new TableIndex({
        name: 'idx_live_interactions_unscored',
        columnNames: ['batch_id'],
        where: UNSCORED_WHERE,
      }),
    );
    await queryRunner.dropIndex('live_interactions', 'idx_live_interactions_text_expiry');
    await queryRunner.createIndex(
      'live_interactions',
      new TableIndex({
        name: 'idx_live_interactions_text_expiry',
        columnNames: ['text_expires_at'],
        where: TEXT_EXPIRY_WHERE,
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('live_interactions', 'idx_live_interactions_text_expiry');
    await queryRunner.createIndex(
      'live_interactions',
      new TableIndex({ name: 'idx_live_interactions_text_expiry', columnNames: ['text_expires_at'] }),
    );
    await queryRunner.dropIndex('live_interactions', 'idx_live_interactions_unscored');
    await queryRunner.createIndex(
      'live_interactions',
      new TableIndex({ name: 'idx_live_interactions_batch', columnNames: ['batch_id'] }),
    );
  }
}
