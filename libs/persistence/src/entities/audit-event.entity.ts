import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';

/**
 * One link of the audit hash chain. `seq` is assigned by the appender under the chain lock; `prev_hash`
 * is unique, so two events can never claim the same predecessor (the chain cannot fork).
 */
// before/after hold JSON values; typed loosely here because TypeORM's deep-partial types cannot follow a
// recursive JSON type. The repository maps them back to JsonValue.
@Entity({ name: 'audit_events' })
@Index('idx_audit_events_subject', ['subjectType', 'subjectId'])
export class AuditEventEntity {
  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 36, unique: true })
  id!: string;

  @Index('idx_audit_events_occurred_at')
  @Column({ name: 'occurred_at', type: TIMESTAMP })
  occurredAt!: Date;

  @Index('idx_audit_events_actor')
  @Column({ name: 'actor_id', type: 'varchar', length: 64 })
  actorId!: string;

  @Column({ name: 'actor_name', type: 'varchar', length: 200 })
  actorName!: string;

  @Column({ type: 'varchar', length: 100 })
  action!: string;

  @Column({ name: 'subject_type', type: 'varchar', length: 50 })
  subjectType!: string;

  @Column({ name: 'subject_id', type: 'varchar', length: 64 })
  subjectId!: string;

  @Column({ type: 'json', nullable: true })
  before!: object | null;

  @Column({ type: 'json', nullable: true })
  after!: object | null;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 100, nullable: true })
  requestId!: string | null;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64, unique: true })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  hash!: string;
}

/** The last link of the chain, kept apart: it detects events cut from the end and is the append lock. */
@Entity({ name: 'audit_chain_head' })
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
