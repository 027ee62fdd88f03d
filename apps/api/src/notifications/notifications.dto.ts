import {
  createWebhookEndpointSchema,
  DELIVERY_STATUSES,
  deliveryQuerySchema,
  type DeliveryView,
  type WebhookEndpointView,
  type WebhookEndpointWithSecretView,
} from '@gatehouse/application';
import { NOTIFICATION_TYPES } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export class CreateWebhookEndpointDto extends createZodDto(createWebhookEndpointSchema) {}
export class DeliveryQueryDto extends createZodDto(deliveryQuerySchema) {}

const endpointSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  events: z.array(z.enum(NOTIFICATION_TYPES)),
  teamId: z.string().nullable().describe('Only events about this team’s AI use cases; null: every team.'),
  createdBy: z.string(),
  createdAt: z.string(),
  disabledAt: z.string().nullable(),
}) satisfies z.ZodType<WebhookEndpointView>;

const endpointWithSecretSchema = endpointSchema.extend({
  secret: z
    .string()
    .describe(
      'The signing secret (`whsec_…`), shown this once: verify `webhook-signature` with it (Standard Webhooks).',
    ),
}) satisfies z.ZodType<WebhookEndpointWithSecretView>;

const deliverySchema = z.object({
  id: z.string(),
  eventId: z.string().describe('The event (its idempotency key); a webhook’s `webhook-id`.'),
  type: z.string(),
  channel: z.enum(['email', 'webhook']),
  endpointId: z.string().nullable(),
  recipientUserId: z.string().nullable().describe('The user e-mailed (their id, never their address).'),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  lastError: z.string().nullable().describe('The last failure: a status or error code, never a body.'),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<DeliveryView>;

export class WebhookEndpointDto extends createZodDto(endpointSchema) {}
export class WebhookEndpointWithSecretDto extends createZodDto(endpointWithSecretSchema) {}
export class WebhookEndpointListDto extends createZodDto(
  z.object({ items: z.array(endpointSchema.meta({ id: 'WebhookEndpoint' })) }),
) {}
export class DeliveryDto extends createZodDto(deliverySchema) {}
export class DeliveryListDto extends createZodDto(
  z.object({ items: z.array(deliverySchema.meta({ id: 'NotificationDelivery' })) }),
) {}
