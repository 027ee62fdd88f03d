import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { AiUseCaseEntity } from './ai-use-case.entity';

/** One suite re-run by a scheduled re-evaluation, and the approved run it is compared with. */
export interface ReevaluationRun {
  /** `name@version`. */
  suite: string;
  /** The run the approved evaluation used for this suite. */
  baselineRunId: string;
  /** The re-run (null when it could not be started: `error` says why). */
  runId: string | null;
  error: string | null;
}

/**
 * A scheduled re-evaluation: the suites the approving evaluation used, run again against the registered
 * target by the watch, then compared item by item with the approved runs. `after_id` is the previous
 * re-evaluation's id (or the approving evaluation's for the first): two workers that find the same one due
 * both try to insert the same `(ai_use_case_id, after_id)`, and only one can.
 */
@Entity({ name: 'watch_reevaluations' })
@Index('uq_watch_reevaluations_after', ['aiUseCaseId', 'afterId'], { unique: true })
@Index('idx_watch_reevaluations_status', ['status', 'startedAt'])
export class ReevaluationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  @Column({ name: 'after_id', type: 'varchar', length: 36 })
  afterId!: string;

  /** The evaluation whose promotion (or re-approval) put the use case at its stage. */
  @Column({ name: 'evaluation_id', type: 'varchar', length: 36 })
  evaluationId!: string;

  /** running, passed, regressed. */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ type: 'json' })
  runs!: ReevaluationRun[];

  /** What the comparison found (null while running): findings in plain English and each comparison. */
  @Column({ type: 'json', nullable: true })
  outcome!: { findings: string[]; suites: unknown[] } | null;

  @Column({ name: 'started_at', type: TIMESTAMP })
  startedAt!: Date;

  @Column({ name: 'completed_at', type: TIMESTAMP, nullable: true })
  completedAt!: Date | null;
}
