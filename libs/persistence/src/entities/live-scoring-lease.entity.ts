import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { AiUseCaseEntity } from './ai-use-case.entity';

/**
 * The job run scoring a live batch with model judges, until `heldUntil`: taken by one conditional upsert
 * (a new row, or one whose holder let it expire), renewed while its judges run, deleted when it is done. A
 * job of the same batch on another worker finds it held and judges nothing.
 */
@Entity({ name: 'live_scoring_leases' })
export class LiveScoringLeaseEntity {
  @PrimaryColumn({ name: 'batch_id', type: 'varchar', length: 36 })
  batchId!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  /** A random id of the job's run that holds it. */
  @Column({ type: 'varchar', length: 36 })
  holder!: string;

  @Column({ name: 'held_until', type: TIMESTAMP })
  heldUntil!: Date;
}
