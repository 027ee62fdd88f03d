import { type AiUseCaseRecord, type RiskTier, type Stage } from '@gatehouse/domain';
import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { AiUseCaseEntity } from './ai-use-case.entity';

/** Append-only history: revision N holds the whole record as it stood after the Nth change. */
@Entity({ name: 'ai_use_case_revisions' })
@Unique('uq_ai_use_case_revisions_revision', ['aiUseCaseId', 'revision'])
export class AiUseCaseRevisionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  @Column({ type: 'integer' })
  revision!: number;

  @Column({ type: 'json' })
  record!: AiUseCaseRecord;

  @Column({ type: 'varchar', length: 16 })
  stage!: Stage;

  @Column({ name: 'derived_risk_tier', type: 'varchar', length: 8 })
  derivedRiskTier!: RiskTier;

  @Column({ name: 'risk_tier', type: 'varchar', length: 8 })
  riskTier!: RiskTier;

  @Column({ name: 'changed_paths', type: 'json' })
  changedPaths!: string[];

  @Column({ name: 'change_reason', type: 'text', nullable: true })
  changeReason!: string | null;

  @Column({ name: 'changed_by', type: 'varchar', length: 64 })
  changedBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}
