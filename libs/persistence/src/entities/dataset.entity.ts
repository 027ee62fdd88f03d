import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { TIMESTAMP } from '../column-types';

/** A frozen dataset version: immutable, content-addressed by the sha256 of its canonical items. */
@Entity({ name: 'datasets' })
@Unique('uq_datasets_name_version', ['name', 'version'])
export class DatasetEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Index('idx_datasets_sha256')
  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ name: 'item_count', type: 'integer' })
  itemCount!: number;

  /** The DatasetManifest (field summary, provenance). */
  @Column({ type: 'json' })
  manifest!: object;

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

/** One item of a dataset version; `seq` is its position in the canonical (id) order. */
@Entity({ name: 'dataset_items' })
@Index('idx_dataset_items_seq', ['datasetId', 'seq'], { unique: true })
export class DatasetItemEntity {
  @PrimaryColumn({ name: 'dataset_id', type: 'varchar', length: 36 })
  datasetId!: string;

  @PrimaryColumn({ name: 'item_id', type: 'varchar', length: 200 })
  itemId!: string;

  @ManyToOne(() => DatasetEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'dataset_id' })
  dataset?: DatasetEntity;

  @Column({ type: 'integer' })
  seq!: number;

  /** The DatasetItem as frozen. */
  @Column({ type: 'json' })
  item!: object;
}
