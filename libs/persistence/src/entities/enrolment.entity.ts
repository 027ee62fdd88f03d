import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { UserEntity } from './user.entity';

/**
 * A one-time enrolment token (only its sha256 is stored) that its user exchanges for their own API token.
 * Issued when an admin creates the user or re-issues an enrolment; used once, expires, or is revoked.
 */
@Entity({ name: 'enrolments' })
export class EnrolmentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('idx_enrolments_user')
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash!: string;

  @Column({ name: 'display_prefix', type: 'varchar', length: 16 })
  displayPrefix!: string;

  /** Who issued it: an admin's user id, `system` or `cli`. */
  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: TIMESTAMP })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: TIMESTAMP, nullable: true })
  usedAt!: Date | null;

  /** The API token the exchange issued. */
  @Column({ name: 'api_token_id', type: 'varchar', length: 36, nullable: true })
  apiTokenId!: string | null;

  @Column({ name: 'revoked_at', type: TIMESTAMP, nullable: true })
  revokedAt!: Date | null;
}
