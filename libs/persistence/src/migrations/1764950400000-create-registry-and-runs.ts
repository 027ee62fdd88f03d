import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
  TableUnique,
} from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { boolean, double, id, integer, json, text, varchar } from './migration-columns';

/** Datasets and their items, suites, cassettes, evaluation runs and their per-item results. */
export class CreateRegistryAndRuns1764950400000 implements MigrationInterface {
  name = 'CreateRegistryAndRuns1764950400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    const at = (name: string, nullable = false) => ({ name, type: ts, isNullable: nullable });
    const fk = (column: string, table: string, onDelete: 'CASCADE' | 'RESTRICT') =>
      new TableForeignKey({
        columnNames: [column],
        referencedTableName: table,
        referencedColumnNames: ['id'],
        onDelete,
      });

    await queryRunner.createTable(
      new Table({
        name: 'datasets',
        columns: [
          id(),
          varchar('name', 80),
          integer('version'),
          varchar('sha256', 64),
          integer('item_count'),
          json('manifest'),
          varchar('created_by', 64),
          at('created_at'),
        ],
        uniques: [new TableUnique({ name: 'uq_datasets_name_version', columnNames: ['name', 'version'] })],
        indices: [new TableIndex({ name: 'idx_datasets_sha256', columnNames: ['sha256'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'dataset_items',
        columns: [
          { ...varchar('dataset_id', 36), isPrimary: true },
          { ...varchar('item_id', 200), isPrimary: true },
          integer('seq'),
          json('item'),
        ],
        indices: [
          new TableIndex({
            name: 'idx_dataset_items_seq',
            columnNames: ['dataset_id', 'seq'],
            isUnique: true,
          }),
        ],
        foreignKeys: [fk('dataset_id', 'datasets', 'CASCADE')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'suites',
        columns: [
          id(),
          varchar('name', 80),
          integer('version'),
          varchar('sha256', 64),
          json('definition'),
          text('source'),
          varchar('dataset_id', 36),
          varchar('created_by', 64),
          at('created_at'),
        ],
        uniques: [new TableUnique({ name: 'uq_suites_name_version', columnNames: ['name', 'version'] })],
        indices: [new TableIndex({ name: 'idx_suites_dataset', columnNames: ['dataset_id'] })],
        foreignKeys: [fk('dataset_id', 'datasets', 'RESTRICT')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'cassettes',
        columns: [
          id(),
          varchar('name', 200),
          varchar('sha256', 64),
          integer('entry_count'),
          text('content'),
          varchar('created_by', 64),
          at('created_at'),
        ],
        uniques: [new TableUnique({ name: 'uq_cassettes_name_sha256', columnNames: ['name', 'sha256'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'evaluation_runs',
        columns: [
          id(),
          varchar('suite_id', 36),
          varchar('ai_use_case_id', 36, true),
          varchar('baseline_run_id', 36, true),
          varchar('status', 16),
          json('target_config'),
          varchar('target_hash', 64),
          varchar('provider', 200),
          integer('total'),
          integer('completed'),
          integer('failed'),
          integer('errored'),
          json('manifest'),
          json('report', true),
          varchar('outcome', 16, true),
          text('error', true),
          varchar('created_by', 64),
          at('created_at'),
          at('started_at', true),
          at('completed_at', true),
          at('cancelled_at', true),
          at('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_evaluation_runs_status', columnNames: ['status', 'updated_at'] }),
          new TableIndex({ name: 'idx_evaluation_runs_suite', columnNames: ['suite_id'] }),
          new TableIndex({ name: 'idx_evaluation_runs_ai_use_case', columnNames: ['ai_use_case_id'] }),
        ],
        foreignKeys: [fk('suite_id', 'suites', 'RESTRICT'), fk('ai_use_case_id', 'ai_use_cases', 'RESTRICT')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'run_results',
        columns: [
          id(),
          varchar('run_id', 36),
          varchar('item_id', 200),
          integer('seq'),
          integer('epoch'),
          varchar('status', 16),
          boolean('any_failed'),
          text('output', true),
          json('scores'),
          json('error', true),
          json('groups'),
          double('latency_ms', true),
          double('duration_ms'),
          double('queue_wait_ms', true),
          integer('attempts'),
          integer('input_tokens', true),
          integer('output_tokens', true),
          double('cost_usd', true),
          varchar('worker', 100, true),
          at('created_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_run_results_item',
            columnNames: ['run_id', 'item_id', 'epoch'],
            isUnique: true,
          }),
          new TableIndex({ name: 'idx_run_results_run_seq', columnNames: ['run_id', 'seq'] }),
        ],
        foreignKeys: [fk('run_id', 'evaluation_runs', 'CASCADE')],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'run_results',
      'evaluation_runs',
      'cassettes',
      'suites',
      'dataset_items',
      'datasets',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
