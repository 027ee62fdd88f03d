import { type Role, type RoleGrants } from '@gatehouse/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { TeamEntity } from './team.entity';

@Entity({ name: 'users' })
@Index('uq_users_oidc', ['oidcIssuer', 'oidcSubject'], { unique: true })
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

  /**
   * Who set the team: `oidc` when the identity provider's group mapping did (the team then goes when the
   * group does), a user id or `cli` when someone set it by hand; null for teams set before this was kept.
   */
  @Column({ name: 'team_set_by', type: 'varchar', length: 64, nullable: true })
  teamSetBy!: string | null;

  @Column({ type: 'json' })
  roles!: Role[];

  /** Who granted each role held (see RoleGrants); null for users from before grants were recorded. */
  @Column({ name: 'roles_granted_by', type: 'json', nullable: true })
  rolesGrantedBy!: RoleGrants | null;

  /** The identity provider (issuer URL) the user signs in with, or null for token-only users. */
  @Column({ name: 'oidc_issuer', type: 'varchar', length: 255, nullable: true })
  oidcIssuer!: string | null;

  /** The provider's stable subject (`sub`) for the user: with the issuer, who they are across sign-ins. */
  @Column({ name: 'oidc_subject', type: 'varchar', length: 255, nullable: true })
  oidcSubject!: string | null;

  @Column({ name: 'disabled_at', type: TIMESTAMP, nullable: true })
  disabledAt!: Date | null;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}
