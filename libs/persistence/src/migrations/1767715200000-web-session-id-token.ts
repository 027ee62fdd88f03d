import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A page session opened through the identity provider keeps the provider's ID token (sealed under the
 * server's secrets key) for signing out there too: OpenID Connect RP-initiated logout sends it back as
 * `id_token_hint`. The row, and the token with it, is deleted when the session ends.
 *
 * A plain ALTER TABLE on both drivers (a nullable column needs no table rebuild): TypeORM's SQLite
 * addColumn rebuilds the table, and in a migration run from scratch it rebuilt web_sessions without the
 * user_id column the reviewer-workflow migration gave it.
 */
export class WebSessionIdToken1767715200000 implements MigrationInterface {
  name = 'WebSessionIdToken1767715200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "web_sessions" ADD COLUMN "id_token_sealed" text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "web_sessions" DROP COLUMN "id_token_sealed"');
  }
}
