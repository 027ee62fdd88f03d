import { type SampleDesign, type SampleStratum, type ReviewVerdicts } from '@gatehouse/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { EvaluationRunEntity } from './evaluation-run.entity';
import { UserEntity } from './user.entity';

/** A review sample of a completed run: its design, strata and hash. Never edited. */
@Entity({ name: 'review_samples' })
export class ReviewSampleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('idx_review_samples_run')
  @Column({ name: 'run_id', type: 'varchar', length: 36 })
  runId!: string;

  @ManyToOne(() => EvaluationRunEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'run_id' })
  run?: EvaluationRunEntity;

  /** The run's use case when it was drawn (null for a run of no use case). */
  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36, nullable: true })
  aiUseCaseId!: string | null;

  @Column({ type: 'json' })
  design!: SampleDesign;

  @Column({ type: 'json' })
  strata!: SampleStratum[];

  /** Reviewable results of the run (N). */
  @Column({ type: 'integer' })
  population!: number;

  /** Items drawn (n). */
  @Column({ type: 'integer' })
  size!: number;

  /** sha256 of the canonical JSON of the run id, design, strata and items (see reviewSampleHash). */
  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** One drawn item, at its place in the review order, with its design weight. */
@Entity({ name: 'review_sample_items' })
@Index('uq_review_sample_items_item', ['sampleId', 'itemId', 'epoch'], { unique: true })
export class ReviewSampleItemEntity {
  @PrimaryColumn({ name: 'sample_id', type: 'varchar', length: 36 })
  sampleId!: string;

  @ManyToOne(() => ReviewSampleEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sample_id' })
  sample?: ReviewSampleEntity;

  @PrimaryColumn({ type: 'integer' })
  position!: number;

  @Column({ name: 'item_id', type: 'varchar', length: 200 })
  itemId!: string;

  @Column({ type: 'integer' })
  epoch!: number;

  @Column({ type: 'varchar', length: 300 })
  stratum!: string;

  @Column({ type: 'double precision' })
  weight!: number;
}

/**
 * One person's review of one sampled item. Never edited: reviewing the item again writes the next
 * revision, which supersedes the earlier one (`supersedes_id`); the current review is the highest revision.
 */
@Entity({ name: 'item_reviews' })
@Index('uq_item_reviews_revision', ['sampleId', 'position', 'reviewerKey', 'revision'], { unique: true })
export class ItemReviewEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'sample_id', type: 'varchar', length: 36 })
  sampleId!: string;

  @ManyToOne(() => ReviewSampleEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sample_id' })
  sample?: ReviewSampleEntity;

  @Column({ type: 'integer' })
  position!: number;

  /** Who recorded it (for an import, who imported it). */
  @Index('idx_item_reviews_reviewer')
  @Column({ name: 'reviewer_id', type: 'varchar', length: 36 })
  reviewerId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'reviewer_id' })
  reviewer?: UserEntity;

  /** The rater the statistics count: the user id, or `import:<user id>:<rater>` for an imported review. */
  @Column({ name: 'reviewer_key', type: 'varchar', length: 300 })
  reviewerKey!: string;

  /** For an imported review: the person who labelled it elsewhere, as the file names them. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  rater!: string | null;

  @Column({ type: 'integer' })
  revision!: number;

  @Column({ name: 'supersedes_id', type: 'varchar', length: 36, nullable: true })
  supersedesId!: string | null;

  @Column({ type: 'json' })
  verdicts!: ReviewVerdicts;

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  /** `web`, `api` or `import`. */
  @Column({ type: 'varchar', length: 16 })
  source!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}
