import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';

/**
 * One sign-in through the identity provider, between the redirect out and the callback: the browser's
 * cookie holds a random secret whose sha256 is the id, and the row holds what the callback checks
 * (`state`, `nonce`, the PKCE verifier). It is deleted when the callback uses it, so it works once.
 */
@Entity({ name: 'oidc_sign_ins' })
export class OidcSignInEntity {
  /** sha256 (hex) of the cookie's secret. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 128 })
  state!: string;

  @Column({ type: 'varchar', length: 128 })
  nonce!: string;

  @Column({ name: 'code_verifier', type: 'varchar', length: 128 })
  codeVerifier!: string;

  /** The same-site page to return to afterwards. */
  @Column({ name: 'return_to', type: 'varchar', length: 500 })
  returnTo!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: TIMESTAMP })
  expiresAt!: Date;
}
