import { type Role } from '@gatehouse/domain';
import { IsNull } from 'typeorm';
import { ApiTokenEntity } from '../entities';
import { rawDateOrNull, rawJson } from '../raw-rows';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';
import { insertUnique } from '../insert-unique';

const AUTHENTICATE_SQL = `
SELECT u.id AS user_id, u.name, u.team_id, u.roles, t.revoked_at, t.expires_at, u.disabled_at
  FROM api_tokens t
  JOIN users u ON u.id = t.user_id
 WHERE t.token_hash = ?`;

/** A bearer token's holder as the request guard needs them, with what may refuse the token. */
export interface TokenHolder {
  userId: string;
  name: string;
  teamId: string | null;
  roles: Role[];
  revokedAt: Date | null;
  expiresAt: Date | null;
  disabledAt: Date | null;
}

/** API tokens (only their sha256 is stored). */
export class ApiTokenRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findById(tx: Tx, id: string): Promise<ApiTokenEntity | null> {
    return managerOf(tx).findOneBy(ApiTokenEntity, { id });
  }

  /** The token with this hash and its user (`token.user`). */
  findByHashWithUser(tx: Tx, tokenHash: string): Promise<ApiTokenEntity | null> {
    return managerOf(tx).findOne(ApiTokenEntity, { where: { tokenHash }, relations: { user: true } });
  }

  existsWithHash(tx: Tx, tokenHash: string): Promise<boolean> {
    return managerOf(tx).existsBy(ApiTokenEntity, { tokenHash });
  }

  /** A user's tokens that are not revoked (expired ones included). */
  unrevokedOf(tx: Tx, userId: string): Promise<ApiTokenEntity[]> {
    return managerOf(tx).findBy(ApiTokenEntity, { userId, revokedAt: IsNull() });
  }

  /** A user's tokens, newest first. */
  listOf(userId: string): Promise<ApiTokenEntity[]> {
    return this.uow.read((m) =>
      managerOf(m).find(ApiTokenEntity, { where: { userId }, order: { createdAt: 'DESC' } }),
    );
  }

  /** False when the hash is already stored (see insertUnique). */
  insert(tx: Tx, token: ApiTokenEntity): Promise<boolean> {
    return insertUnique(managerOf(tx), ApiTokenEntity, token);
  }

  async revoke(tx: Tx, id: string, at: Date): Promise<void> {
    await managerOf(tx).update(ApiTokenEntity, { id }, { revokedAt: at });
  }

  /**
   * The holder of the token with this hash, or null. Read on every request, so one hand-written statement
   * that stays cheap.
   */
  async holder(tokenHash: string): Promise<TokenHolder | null> {
    const [row] = await this.uow.read((m) =>
      this.uow.rows<{
        user_id: string;
        name: string;
        team_id: string | null;
        roles: unknown;
        revoked_at: unknown;
        expires_at: unknown;
        disabled_at: unknown;
      }>(m, AUTHENTICATE_SQL, [tokenHash]),
    );
    return row
      ? {
          userId: row.user_id,
          name: row.name,
          teamId: row.team_id,
          roles: rawJson<Role[]>(row.roles),
          revokedAt: rawDateOrNull(row.revoked_at),
          expiresAt: rawDateOrNull(row.expires_at),
          disabledAt: rawDateOrNull(row.disabled_at),
        }
      : null;
  }
}
