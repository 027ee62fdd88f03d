import { type Role } from '@gatehouse/domain';
import { IsNull } from 'typeorm';
import { UserEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';
import { insertUnique } from '../insert-unique';

/** People: their roles (a JSON list), who granted each, their team. */
export class UserRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findById(tx: Tx, id: string): Promise<UserEntity | null> {
    return managerOf(tx).findOneBy(UserEntity, { id });
  }

  /** The user with their team loaded (`user.team`). */
  findWithTeam(tx: Tx, id: string): Promise<UserEntity | null> {
    return managerOf(tx).findOne(UserEntity, { where: { id }, relations: { team: true } });
  }

  emailTaken(tx: Tx, email: string): Promise<boolean> {
    return managerOf(tx).existsBy(UserEntity, { email });
  }

  /** False when the email is taken (see insertUnique). */
  insert(tx: Tx, user: UserEntity): Promise<boolean> {
    return insertUnique(managerOf(tx), UserEntity, user);
  }

  /** Writes every column of the user (not its team relation). */
  async save(tx: Tx, user: UserEntity): Promise<void> {
    const { team: _team, ...columns } = user;
    await managerOf(tx).save(UserEntity, Object.assign(new UserEntity(), columns));
  }

  /** Roles are a JSON list, so the count happens here; there are tens of users, not millions. */
  async activeAdminCount(tx: Tx): Promise<number> {
    const users = await managerOf(tx).find(UserEntity, {
      where: { disabledAt: IsNull() },
      select: { id: true, roles: true },
    });
    return users.filter((u) => u.roles.includes('admin')).length;
  }

  /** Users not disabled who hold the role (roles are a JSON list, so the filter happens here). */
  async activeWithRole(tx: Tx, role: Role): Promise<UserEntity[]> {
    const users = await managerOf(tx).find(UserEntity, {
      where: { disabledAt: IsNull() },
      order: { name: 'ASC', id: 'ASC' },
    });
    return users.filter((u) => u.roles.includes(role));
  }

  /** A page of users by name, with their teams, and how many there are. */
  page(limit: number, offset: number): Promise<{ items: UserEntity[]; total: number }> {
    return this.uow.read(async (m) => {
      const [items, total] = await managerOf(m).findAndCount(UserEntity, {
        relations: { team: true },
        order: { name: 'ASC', id: 'ASC' },
        take: limit,
        skip: offset,
      });
      return { items, total };
    });
  }
}
