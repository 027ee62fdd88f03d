import { type Role, type RoleGrants } from '@gatehouse/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { TeamEntity } from './team.entity';

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 254, nullable: true, unique: true })
  email!: string | null;

  @Index('idx_users_team')
  @Column({ name: 'team_id', type: 'varchar', length: 36, nullable: true })
  teamId!: string | null;

  @ManyToOne(() => TeamEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'team_id' })
  team?: TeamEntity;

  @Column({ type: 'json' })
  roles!: Role[];

  /** Who granted each role held (see RoleGrants); null for users from before grants were recorded. */
  @Column({ name: 'roles_granted_by', type: 'json', nullable: true })
  rolesGrantedBy!: RoleGrants | null;

  @Column({ name: 'disabled_at', type: TIMESTAMP, nullable: true })
  disabledAt!: Date | null;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}
