import { NotificationRepository } from './notification.repository';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';

export * from './notification.repository';
export * from './webhook-endpoint.repository';

export const NOTIFICATION_REPOSITORIES = [NotificationRepository, WebhookEndpointRepository] as const;
