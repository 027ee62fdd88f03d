import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableColumn,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { id, integer, json, text, varchar } from './migration-columns';

/**
 * Stage gates: policy versions, evaluations, approvals, stage changes, pilot observations, cached run
 * comparisons and published transparency records; the registered target of an AI use case.
 */
export class CreateGates1765555200000 implements MigrationInterface {
  name = 'CreateGates1765555200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    const at = (name: string, nullable = false) => ({ name, type: ts, isNullable: nullable });
    const fk = (column: string, table: string) =>
      new TableForeignKey({
        columnNames: [column],
        referencedTableName: table,
        referencedColumnNames: ['id'],
        onDelete: 'RESTRICT',
      });

    await queryRunner.addColumns('ai_use_cases', [
      new TableColumn(json('target_config', true)),
      new TableColumn(varchar('target_hash', 64, true)),
      new TableColumn(at('under_change_since', true)),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'gate_policies',
        columns: [
          id(),
          integer('version'),
          json('document'),
          varchar('sha256', 64),
          varchar('created_by', 64),
          at('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_gate_policies_version', columnNames: ['version'], isUnique: true }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'gate_evaluations',
        columns: [
          id(),
          varchar('ai_use_case_id', 36),
          integer('seq'),
          varchar('from_stage', 16),
          varchar('to_stage', 16),
          varchar('policy_id', 36),
          integer('policy_version'),
          integer('use_case_revision'),
          varchar('risk_tier', 8),
          varchar('verdict', 8),
          json('result'),
          json('inputs'),
          integer('approvals_required'),
          varchar('hash', 64),
          at('evaluated_at'),
          varchar('created_by', 64),
          at('created_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_gate_evaluations_seq',
            columnNames: ['ai_use_case_id', 'seq'],
            isUnique: true,
          }),
        ],
        foreignKeys: [fk('ai_use_case_id', 'ai_use_cases'), fk('policy_id', 'gate_policies')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'gate_approvals',
        columns: [
          id(),
          varchar('evaluation_id', 36),
          varchar('evaluation_hash', 64),
          varchar('approver_id', 64),
          varchar('decision', 8),
          text('reason'),
          at('created_at'),
        ],
        indices: [
          new TableIndex({
            name: 'uq_gate_approvals_approver',
            columnNames: ['evaluation_id', 'approver_id'],
            isUnique: true,
          }),
        ],
        foreignKeys: [fk('evaluation_id', 'gate_evaluations')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'stage_changes',
        columns: [
          id(),
          varchar('ai_use_case_id', 36),
          varchar('kind', 16),
          varchar('evaluation_id', 36, true),
          varchar('from_stage', 16),
          varchar('to_stage', 16),
          text('reason', true),
          varchar('changed_by', 64),
          at('created_at'),
        ],
        indices: [
          new TableIndex({
            name: 'idx_stage_changes_use_case',
            columnNames: ['ai_use_case_id', 'created_at'],
          }),
          new TableIndex({
            name: 'uq_stage_changes_evaluation',
            columnNames: ['evaluation_id'],
            isUnique: true,
          }),
        ],
        foreignKeys: [fk('ai_use_case_id', 'ai_use_cases')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'pilot_observations',
        columns: [
          id(),
          varchar('ai_use_case_id', 36),
          varchar('period_start', 10),
          varchar('period_end', 10),
          integer('cases'),
          integer('overrides'),
          integer('undone'),
          integer('complaints'),
          integer('incidents'),
          integer('positive_feedback'),
          integer('negative_feedback'),
          text('notes', true),
          varchar('recorded_by', 64),
          at('created_at'),
        ],
        indices: [
          new TableIndex({
            name: 'idx_pilot_observations_use_case',
            columnNames: ['ai_use_case_id', 'period_start'],
          }),
        ],
        foreignKeys: [fk('ai_use_case_id', 'ai_use_cases')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'run_comparisons',
        columns: [
          { ...varchar('baseline_run_id', 36), isPrimary: true },
          { ...varchar('candidate_run_id', 36), isPrimary: true },
          json('metrics'),
          at('created_at'),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'transparency_records',
        columns: [
          { ...varchar('ai_use_case_id', 36), isPrimary: true },
          json('record'),
          json('redactions'),
          text('redaction_reason', true),
          integer('use_case_revision'),
          varchar('evaluation_id', 36, true),
          varchar('published_by', 64),
          at('published_at'),
          at('updated_at'),
        ],
        foreignKeys: [fk('ai_use_case_id', 'ai_use_cases')],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'transparency_records',
      'run_comparisons',
      'pilot_observations',
      'stage_changes',
      'gate_approvals',
      'gate_evaluations',
      'gate_policies',
    ]) {
      await queryRunner.dropTable(table);
    }
    for (const column of ['under_change_since', 'target_hash', 'target_config']) {
      await queryRunner.dropColumn('ai_use_cases', column);
    }
  }
}
