import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { ApiTokenEntity } from './api-token.entity';

/**
 * A signed-in browser. The cookie holds a random secret; only its sha256 is stored. The session lives as
 * long as the API token it was opened with: revoke or expire the token and the session ends with it.
 */
@Entity({ name: 'web_sessions' })
export class WebSessionEntity {
  /** sha256 (hex) of the cookie's secret. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Index('idx_web_sessions_token')
  @Column({ name: 'token_id', type: 'varchar', length: 36 })
  tokenId!: string;

  @ManyToOne(() => ApiTokenEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'token_id' })
  token?: ApiTokenEntity;

  /** The synchronizer token every form of this session carries. */
  @Column({ name: 'csrf_token', type: 'varchar', length: 64 })
  csrfToken!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: TIMESTAMP })
  expiresAt!: Date;
}
