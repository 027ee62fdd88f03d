import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { ApiTokenEntity } from './api-token.entity';
import { UserEntity } from './user.entity';

/**
 * A signed-in browser. The cookie holds a random secret; only its sha256 is stored. A session opened with
 * an API token lives as long as that token (revoke or expire it and the session ends with it); one opened
 * through the identity provider (`via: oidc`) has no token and lives until it expires or the user is
 * disabled.
 */
@Entity({ name: 'web_sessions' })
export class WebSessionEntity {
  /** sha256 (hex) of the cookie's secret. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Index('idx_web_sessions_user')
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  /** The API token the session was opened with; null for identity-provider sessions. */
  @Index('idx_web_sessions_token')
  @Column({ name: 'token_id', type: 'varchar', length: 36, nullable: true })
  tokenId!: string | null;

  @ManyToOne(() => ApiTokenEntity, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'token_id' })
  token?: ApiTokenEntity | null;

  /** How the browser signed in: `api_token` or `oidc`. */
  @Column({ type: 'varchar', length: 16 })
  via!: 'api_token' | 'oidc';

  /** The synchronizer token every form of this session carries. */
  @Column({ name: 'csrf_token', type: 'varchar', length: 64 })
  csrfToken!: string;

  /**
   * The ID token the identity provider issued at sign-in, sealed under the server's secrets key (bound to
   * this session's id), kept only to send as `id_token_hint` when the person signs out (RP-initiated
   * logout); null for token sessions, or when the server has no secrets key. Deleted with the session.
   */
  @Column({ name: 'id_token_sealed', type: 'text', nullable: true })
  idTokenSealed!: string | null;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: TIMESTAMP })
  expiresAt!: Date;
}
