import { DeliveryService } from './delivery.service';
import { EvidenceExpiryNotices } from './evidence-expiry-notices';
import { NotificationSweepService } from './notification-sweep.service';
import { NotificationsService } from './notifications.service';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookSecrets } from './webhook-secrets';

/** The notifications feature's services (the job handlers are wired in run-jobs.ts). */
export const NOTIFICATION_PROVIDERS = [
  WebhookSecrets,
  NotificationsService,
  DeliveryService,
  EvidenceExpiryNotices,
  NotificationSweepService,
  WebhookEndpointsService,
];
