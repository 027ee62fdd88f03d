import { LessThan, MoreThanOrEqual } from 'typeorm';
import { OidcSignInEntity, UserEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/**
 * Sign-ins through the identity provider: the pending rows between the redirect out and the callback (the
 * id is the sha256 of the browser's cookie secret), and the users known by the provider's issuer and subject.
 */
export class OidcSignInRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  async insert(tx: Tx, row: OidcSignInEntity): Promise<void> {
    await managerOf(tx).insert(OidcSignInEntity, row);
  }

  /**
   * The pending sign-in, deleted as it is read: of two callbacks with the same cookie (a replay, a double
   * click) only one gets the row. Null when there is none (never started, expired and swept, or used).
   */
  async take(tx: Tx, id: string): Promise<OidcSignInEntity | null> {
    const m = managerOf(tx);
    const row = await m.findOneBy(OidcSignInEntity, { id });
    if (!row) {
      return null;
    }
    const deleted = await m.delete(OidcSignInEntity, { id });
    return deleted.affected === 0 ? null : row;
  }

  /** Sign-ins started and not yet expired. */
  countPending(tx: Tx, now: Date): Promise<number> {
    return managerOf(tx).countBy(OidcSignInEntity, { expiresAt: MoreThanOrEqual(now) });
  }

  async deleteExpired(tx: Tx, now: Date): Promise<void> {
    await managerOf(tx).delete(OidcSignInEntity, { expiresAt: LessThan(now) });
  }

  /** The user the provider knows by this issuer and subject, with their team loaded. */
  userBySubject(tx: Tx, issuer: string, subject: string): Promise<UserEntity | null> {
    return managerOf(tx).findOne(UserEntity, {
      where: { oidcIssuer: issuer, oidcSubject: subject },
      relations: { team: true },
    });
  }

  /** Whether any user holds this e-mail address, in any letter case (`Tom@…` and `tom@…` are one mailbox). */
  async emailHeld(tx: Tx, email: string): Promise<boolean> {
    const found = await managerOf(tx)
      .createQueryBuilder(UserEntity, 'u')
      .select('u.id')
      .where('LOWER(u.email) = :email', { email: email.toLowerCase() })
      .getOne();
    return found !== null;
  }
}
