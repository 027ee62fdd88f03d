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

  /**
   * The team that published it (the uploader's team; null: the platform, i.e. the shipped examples, an
   * admin or a user without a team). A name belongs to the owner of its first row: only that team
   * publishes under it (RegistryService).
   */
  @Column({ name: 'owner_team_id', type: 'varchar', length: 36, nullable: true })
  ownerTeamId!: string | null;

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

  /** The hash of the live configuration its meta line says it was recorded from; null: unverified. */
  @Column({ name: 'recorded_from', type: 'varchar', length: 64, nullable: true })
  recordedFrom!: string | null;

  /** When its owner last published this content (re-uploading the same content makes it current again). */
  @Column({ name: 'published_at', type: TIMESTAMP, nullable: true })
  publishedAt!: Date | null;

  /**
   * The team that published it (the uploader's team; null: the platform, i.e. the shipped examples, an
   * admin or a user without a team). A name belongs to the owner of its first row: only that team
   * publishes under it (RegistryService).
   */
  @Column({ name: 'owner_team_id', type: 'varchar', length: 36, nullable: true })
  ownerTeamId!: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}
