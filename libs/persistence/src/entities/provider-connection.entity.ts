import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';

/**
 * A provider connection an admin manages: where platform targets and judges may call (an OpenAI-compatible
 * API or a team's HTTP service), which teams may use it, and its secret, sealed (envelope-encrypted) under
 * the server's key. The secret is never read back through the API.
 */
@Entity({ name: 'provider_connections' })
export class ProviderConnectionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 80, unique: true })
  name!: string;

  @Column({ type: 'varchar', length: 20 })
  kind!: 'openai' | 'http';

  @Column({ name: 'base_url', type: 'varchar', length: 2000 })
  baseUrl!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  /** Team ids allowed to use it, or `["*"]` for every team. */
  @Column({ type: 'json' })
  teams!: string[];

  /** Headers sent on every call that are not secret. */
  @Column({ type: 'json' })
  headers!: Record<string, string>;

  /** For `http` connections, the header the secret goes in (default `Authorization: Bearer …`). */
  @Column({ name: 'secret_header', type: 'varchar', length: 100, nullable: true })
  secretHeader!: string | null;

  @Column({ name: 'secret_sealed', type: 'text', nullable: true })
  secretSealed!: string | null;

  @Column({ type: 'integer' })
  revision!: number;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}
