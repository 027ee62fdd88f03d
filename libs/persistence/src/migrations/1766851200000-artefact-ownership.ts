import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { timestampTypeFor } from '../column-types';
import { json, varchar } from './migration-columns';

const OWNED = ['datasets', 'suites', 'cassettes'];

/**
 * Owned, pinned artefacts: datasets, suites and cassettes record the team that published them (existing
 * rows: their creator's team; null when the creator had none, e.g. the shipped examples); cassettes record
 * the configuration they were recorded from and when their owner last published them; a registered
 * target records the cassettes it pins.
 */
export class ArtefactOwnership1766851200000 implements MigrationInterface {
  name = 'ArtefactOwnership1766851200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = timestampTypeFor(queryRunner.connection.driver.options.type);
    for (const table of OWNED) {
      await queryRunner.addColumn(table, new TableColumn(varchar('owner_team_id', 36, true)));
      await queryRunner.query(
        `UPDATE ${table} SET owner_team_id = (SELECT u.team_id FROM users u WHERE u.id = ${table}.created_by)`,
      );
    }
    await queryRunner.addColumns('cassettes', [
      new TableColumn(varchar('recorded_from', 64, true)),
      new TableColumn({ name: 'published_at', type: ts, isNullable: true }),
    ]);
    await queryRunner.query('UPDATE cassettes SET published_at = created_at');
    await queryRunner.addColumn('ai_use_cases', new TableColumn(json('target_cassettes', true)));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('ai_use_cases', 'target_cassettes');
    await queryRunner.dropColumns('cassettes', ['recorded_from', 'published_at']);
    for (const table of [...OWNED].reverse()) {
      await queryRunner.dropColumn(table, 'owner_team_id');
    }
  }
}
