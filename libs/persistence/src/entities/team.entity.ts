import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';

@Entity({ name: 'teams' })
export class TeamEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 120, unique: true })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}
