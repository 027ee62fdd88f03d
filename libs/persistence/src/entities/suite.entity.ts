import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { DatasetEntity } from './dataset.entity';

/** A suite version, validated and pinned to one dataset version; immutable. */
@Entity({ name: 'suites' })
@Unique('uq_suites_name_version', ['name', 'version'])
export class SuiteEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  /** The validated SuiteDefinition (defaults applied). */
  @Column({ type: 'json' })
  definition!: object;

  /** The text as submitted (YAML or JSON), for people reading it later. */
  @Column({ type: 'text' })
  source!: string;

  @Index('idx_suites_dataset')
  @Column({ name: 'dataset_id', type: 'varchar', length: 36 })
  datasetId!: string;

  @ManyToOne(() => DatasetEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'dataset_id' })
  dataset?: DatasetEntity;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** Recorded responses for replay targets, content-addressed. */
@Entity({ name: 'cassettes' })
@Unique('uq_cassettes_name_sha256', ['name', 'sha256'])
export class CassetteEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ name: 'entry_count', type: 'integer' })
  entryCount!: number;

  /** The cassette file's text (JSONL). */
  @Column({ type: 'text' })
  content!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}
