import { type NotificationPayload, type NotificationType } from '@gatehouse/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { TeamEntity } from './team.entity';
import { UserEntity } from './user.entity';

/**
 * Something that happened and needs a person (an evaluation waits for approval, a rejection, a promotion,
 * a failed run, evidence about to go stale). The id is the event's idempotency key: derived from what
 * happened (e.g. `evaluation.awaiting_approval:<evaluation id>`), so recording it twice records it once.
 */
@Entity({ name: 'notification_events' })
@Index('idx_notification_events_created', ['createdAt'])
export class NotificationEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 160 })
  id!: string;

  @Column({ type: 'varchar', length: 40 })
  type!: NotificationType;

  /** The team the event is about (its use case's owner), or null for platform-wide events. */
  @Column({ name: 'team_id', type: 'varchar', length: 36, nullable: true })
  teamId!: string | null;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36, nullable: true })
  aiUseCaseId!: string | null;

  /** What every channel may show: names, stages, links and counts; never secrets or people's e-mails. */
  @Column({ type: 'json' })
  payload!: NotificationPayload;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/**
 * A receiver of signed webhooks (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`). The signing secret is stored encrypted and shown once, when the endpoint is made.
 */
@Entity({ name: 'webhook_endpoints' })
export class WebhookEndpointEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'text' })
  url!: string;

  /** The event types delivered here. */
  @Column({ type: 'json' })
  events!: NotificationType[];

  /** Only events about this team's use cases; null: events about every team (an assurance board's bridge). */
  @Index('idx_webhook_endpoints_team')
  @Column({ name: 'team_id', type: 'varchar', length: 36, nullable: true })
  teamId!: string | null;

  @ManyToOne(() => TeamEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'team_id' })
  team?: TeamEntity | null;

  /** The `whsec_…` signing secret, sealed with the secrets key (see secret-box). */
  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'disabled_at', type: TIMESTAMP, nullable: true })
  disabledAt!: Date | null;
}

export type DeliveryChannel = 'email' | 'webhook';
export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed';

/**
 * One event to one recipient on one channel: an e-mail to a user through GOV.UK Notify, or a POST to a
 * webhook endpoint. Sent by a queue job with retries and backoff; at most one row per event, channel and
 * recipient, so a replayed or re-enqueued event never sends twice what was delivered.
 */
@Entity({ name: 'notification_deliveries' })
@Index('uq_notification_deliveries_target', ['eventId', 'channel', 'targetKey'], { unique: true })
@Index('idx_notification_deliveries_status', ['status', 'updatedAt'])
export class NotificationDeliveryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'event_id', type: 'varchar', length: 160 })
  eventId!: string;

  @ManyToOne(() => NotificationEventEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: NotificationEventEntity;

  @Column({ type: 'varchar', length: 16 })
  channel!: DeliveryChannel;

  /** The endpoint id (webhook) or user id (e-mail): with the event and channel, unique. */
  @Column({ name: 'target_key', type: 'varchar', length: 36 })
  targetKey!: string;

  @Column({ name: 'endpoint_id', type: 'varchar', length: 36, nullable: true })
  endpointId!: string | null;

  @ManyToOne(() => WebhookEndpointEntity, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'endpoint_id' })
  endpoint?: WebhookEndpointEntity | null;

  @Column({ name: 'recipient_user_id', type: 'varchar', length: 36, nullable: true })
  recipientUserId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'recipient_user_id' })
  recipient?: UserEntity | null;

  /** The Notify template used (e-mail), from configuration when the delivery was made. */
  @Column({ name: 'template_id', type: 'varchar', length: 64, nullable: true })
  templateId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: DeliveryStatus;

  @Column({ type: 'integer' })
  attempts!: number;

  /** The last failure, short and free of secrets (status code, error code), for admins. */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'next_attempt_at', type: TIMESTAMP, nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'delivered_at', type: TIMESTAMP, nullable: true })
  deliveredAt!: Date | null;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}
