import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableColumn,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { boolean, double, id, integer, json, text, varchar } from './migration-columns';

/**
 * The learn stage from live use: per-use-case ingest tokens and settings, live interactions (model spans
 * from traces, text only when the team opts in, redacted), their online scores, feedback events linked to
 * traces, and watch alerts (configuration drift, rate drift, regressions, expiring evidence) that put a use
 * case under change or under review.
 */
export class LiveTraces1767283200000 implements MigrationInterface {
  name = 'LiveTraces1767283200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    const at = (name: string, nullable = false) => ({ name, type: ts, isNullable: nullable });
    const useCaseFk = () =>
      new TableForeignKey({
        columnNames: ['ai_use_case_id'],
        referencedTableName: 'ai_use_cases',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      });

    await queryRunner.addColumn('ai_use_cases', new TableColumn(at('under_review_since', true)));

    await queryRunner.createTable(
      new Table({
        name: 'ingest_tokens',
        columns: [
          id(),
          varchar('ai_use_case_id', 36),
          varchar('name', 120),
          { ...varchar('token_hash', 64), isUnique: true },
          varchar('display_prefix', 16),
          varchar('created_by', 64),
          at('created_at'),
          at('revoked_at', true),
        ],
        indices: [new TableIndex({ name: 'idx_ingest_tokens_use_case', columnNames: ['ai_use_case_id'] })],
        foreignKeys: [useCaseFk()],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'live_settings',
        columns: [
          { ...varchar('ai_use_case_id', 36), isPrimary: true },
          double('sample_rate'),
          boolean('capture_text'),
          boolean('redact_pii'),
          integer('retention_days'),
          integer('judge_calls_per_day'),
          integer('reevaluate_every_days', true),
          json('drift'),
          varchar('updated_by', 64),
          at('updated_at'),
        ],
        foreignKeys: [useCaseFk()],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'live_interactions',
        columns: [
          id(),
          varchar('ai_use_case_id', 36),
          varchar('trace_id', 32),
          varchar('span_id', 16),
          varchar('batch_id', 36),
          varchar('source', 8),
          at('started_at'),
          at('received_at'),
          double('duration_ms', true),
          varchar('operation', 60, true),
          varchar('model', 200, true),
          integer('input_tokens', true),
          integer('output_tokens', true),
          double('cost_usd', true),
          varchar('config_hash', 64, true),
          boolean('errored'),
          integer('input_chars'),
          integer('output_chars'),
          json('pii_found', true),
          text('input_text', true),
          text('output_text', true),
          at('text_expires_at', true),
          boolean('sampled'),
          at('scored_at', true),
        ],
        indices: [
          new TableIndex({
            name: 'uq_live_interactions_span',
            columnNames: ['ai_use_case_id', 'trace_id', 'span_id'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'idx_live_interactions_started',
            columnNames: ['ai_use_case_id', 'started_at'],
          }),
          new TableIndex({ name: 'idx_live_interactions_batch', columnNames: ['batch_id'] }),
          new TableIndex({ name: 'idx_live_interactions_text_expiry', columnNames: ['text_expires_at'] }),
        ],
        foreignKeys: [useCaseFk()],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'live_scores',
        columns: [
          { ...varchar('interaction_id', 36), isPrimary: true },
          { ...varchar('scorer', 120), isPrimary: true },
          varchar('ai_use_case_id', 36),
          varchar('scorer_type', 40),
          at('started_at'),
          { name: 'passed', type: 'boolean', isNullable: true },
          double('value', true),
          varchar('explanation', 500, true),
          at('scored_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_live_scores_started', columnNames: ['ai_use_case_id', 'started_at'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['interaction_id'],
            referencedTableName: 'live_interactions',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'live_feedback',
        columns: [
          id(),
          varchar('ai_use_case_id', 36),
          varchar('event_key', 200),
          varchar('trace_id', 32, true),
          varchar('kind', 16),
          at('occurred_at'),
          at('received_at'),
          text('note', true),
        ],
        indices: [
          new TableIndex({
            name: 'uq_live_feedback_event',
            columnNames: ['ai_use_case_id', 'event_key'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'idx_live_feedback_occurred',
            columnNames: ['ai_use_case_id', 'occurred_at'],
          }),
        ],
        foreignKeys: [useCaseFk()],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'watch_alerts',
        columns: [
          id(),
          varchar('ai_use_case_id', 36),
          varchar('kind', 32),
          varchar('dedupe_key', 200),
          varchar('open_key', 200, true),
          varchar('status', 16),
          varchar('summary', 500),
          json('details'),
          at('opened_at'),
          at('resolved_at', true),
          varchar('resolved_by', 64, true),
        ],
        indices: [
          new TableIndex({
            name: 'uq_watch_alerts_open',
            columnNames: ['ai_use_case_id', 'open_key'],
            isUnique: true,
          }),
          new TableIndex({ name: 'idx_watch_alerts_status', columnNames: ['status', 'opened_at'] }),
        ],
        foreignKeys: [useCaseFk()],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'watch_alerts',
      'live_feedback',
      'live_scores',
      'live_interactions',
      'live_settings',
      'ingest_tokens',
    ]) {
      await queryRunner.dropTable(table);
    }
    await queryRunner.dropColumn('ai_use_cases', 'under_review_since');
  }
}
