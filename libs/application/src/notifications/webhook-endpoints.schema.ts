import { NOTIFICATION_TYPES, type NotificationType } from '@gatehouse/domain';
import { z } from 'zod';

/** What an admin sends to make a webhook endpoint, validated once for the API and the service. */
export const createWebhookEndpointSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(120)
    .regex(/^[^\p{Cc}]*$/u, 'must be one line of text'),
  url: z
    .url({ protocol: /^https?$/, message: 'must be an https URL' })
    .max(2000)
    .refine((url) => !URL.canParse(url) || (new URL(url).username === '' && new URL(url).password === ''), {
      message: 'must not carry credentials',
    })
    .refine((url) => !URL.canParse(url) || new URL(url).hash === '', { message: 'must not have a fragment' }),
  events: z
    .array(z.enum(NOTIFICATION_TYPES, { message: `must be one of ${NOTIFICATION_TYPES.join(', ')}` }))
    .min(1, 'must name at least one event type')
    .max(NOTIFICATION_TYPES.length)
    .refine((events) => new Set(events).size === events.length, { message: 'must not repeat a type' }),
  teamId: z.uuid({ message: 'must be a team id' }).nullable().optional(),
});
export type CreateWebhookEndpointInput = z.infer<typeof createWebhookEndpointSchema>;

export const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'failed'] as const;

/** GET /v1/webhook-deliveries' query. */
export const deliveryQuerySchema = z.strictObject({
  status: z.enum(DELIVERY_STATUSES, { message: `must be one of ${DELIVERY_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce
    .number({ message: 'must be a whole number from 1 to 200' })
    .int('must be a whole number from 1 to 200')
    .min(1, 'must be a whole number from 1 to 200')
    .max(200, 'must be a whole number from 1 to 200')
    .default(50),
});

/** An endpoint as admins see it: never its secret. */
export interface WebhookEndpointView {
  id: string;
  name: string;
  url: string;
  events: NotificationType[];
  teamId: string | null;
  createdBy: string;
  createdAt: string;
  disabledAt: string | null;
}

/** An endpoint just made (or its secret just rotated): the secret, shown this once. */
export interface WebhookEndpointWithSecretView extends WebhookEndpointView {
  secret: string;
}

/** A delivery as admins see it: ids, never an e-mail address, a body or a secret. */
export interface DeliveryView {
  id: string;
  eventId: string;
  type: string;
  channel: 'email' | 'webhook';
  endpointId: string | null;
  recipientUserId: string | null;
  status: (typeof DELIVERY_STATUSES)[number];
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
}
