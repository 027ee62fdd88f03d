import { type AiUseCaseRecord, type RiskTier, type RiskTierOverride, type Stage } from '@gatehouse/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { TeamEntity } from './team.entity';

/** The current state of an AI use case; every change also writes an AiUseCaseRevisionEntity. */
@Entity({ name: 'ai_use_cases' })
export class AiUseCaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('idx_ai_use_cases_owner_team')
  @Column({ name: 'owner_team_id', type: 'varchar', length: 36 })
  ownerTeamId!: string;

  @ManyToOne(() => TeamEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_team_id' })
  ownerTeam?: TeamEntity;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Index('idx_ai_use_cases_stage')
  @Column({ type: 'varchar', length: 16 })
  stage!: Stage;

  @Column({ name: 'derived_risk_tier', type: 'varchar', length: 8 })
  derivedRiskTier!: RiskTier;

  @Index('idx_ai_use_cases_risk_tier')
  @Column({ name: 'risk_tier', type: 'varchar', length: 8 })
  riskTier!: RiskTier;

  @Column({ name: 'risk_tier_override', type: 'json', nullable: true })
  riskTierOverride!: RiskTierOverride | null;

  @Column({ type: 'integer' })
  revision!: number;

  @Column({ type: 'json' })
  record!: AiUseCaseRecord;

  /** The registered system under test (a suite target), or null: gate rules read runs against it. */
  @Column({ name: 'target_config', type: 'json', nullable: true })
  targetConfig!: object | null;

  @Column({ name: 'target_hash', type: 'varchar', length: 64, nullable: true })
  targetHash!: string | null;

  /** For a replay target: the cassettes (name → sha256) pinned at registration; runs replay exactly these. */
  @Column({ name: 'target_cassettes', type: 'json', nullable: true })
  targetCassettes!: Record<string, string> | null;

  /** Set when the target changed at learn or scale; cleared by a passing, approved re-evaluation. */
  @Column({ name: 'under_change_since', type: TIMESTAMP, nullable: true })
  underChangeSince!: Date | null;

  /**
   * Set when the watch finds something the reviewers must look at (a scheduled re-evaluation regressed,
   * evidence is about to expire, a live rate drifted); cleared by a passing, approved re-evaluation.
   */
  @Column({ name: 'under_review_since', type: TIMESTAMP, nullable: true })
  underReviewSince!: Date | null;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}
