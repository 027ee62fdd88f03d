import { type GatehouseConfig } from '@gatehouse/config';
import { type Actor, assertHasRole, DomainError } from '@gatehouse/domain';
import { EgressPolicy } from '@gatehouse/evals';
import {
  NotificationRepository,
  type NotificationDeliveryEntity,
  TeamRepository,
  UnitOfWork,
  WebhookEndpointEntity,
  WebhookEndpointRepository,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { PlatformNetwork } from '../connections/platform-network';
import { isIdLike } from '../gates/gate-reads';
import { InjectConfig } from '../gatehouse-config.module';
import { type RequestContext } from '../request-context';
import { zodProblems } from '../validation/zod-problems';
import { NotificationsService } from './notifications.service';
import {
  createWebhookEndpointSchema,
  deliveryQuerySchema,
  type DeliveryView,
  type WebhookEndpointView,
  type WebhookEndpointWithSecretView,
} from './webhook-endpoints.schema';
import { WebhookSecrets } from './webhook-secrets';

const ADMIN_ONLY = 'Managing webhooks and notification deliveries';

/**
 * Webhook endpoints and the deliveries admins watch (admins only). An endpoint's URL must be https and
 * pass the platform's egress policy (no loopback, private or metadata address unless the operator's
 * GATEHOUSE_EGRESS_ALLOW lists it; plain http only to such an allow-listed host); the signing secret is
 * made here, sealed, and shown once. Every change is audited; the audit records never hold the secret.
 */
@Injectable()
export class WebhookEndpointsService {
  /** The same policy without the operator's allow-list: what plain http is refused against. */
  private readonly strict: EgressPolicy;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly notifications: NotificationRepository,
    private readonly teams: TeamRepository,
    private readonly secrets: WebhookSecrets,
    private readonly network: PlatformNetwork,
    private readonly outbox: NotificationsService,
    private readonly audit: AuditService,
    @InjectConfig() config: GatehouseConfig,
  ) {
    this.strict = new EgressPolicy({
      allow: [],
      selfPorts: [config.http.port, config.worker.port].filter((port) => port > 0),
    });
  }

  async create(context: RequestContext, input: unknown): Promise<WebhookEndpointWithSecretView> {
    assertHasRole(context.actor, ['admin'], ADMIN_ONLY);
    const parsed = createWebhookEndpointSchema.safeParse(input);
    if (!parsed.success) {
      throw DomainError.validation(zodProblems(parsed.error));
    }
    const body = parsed.data;
    await this.checkUrl(body.url);
    const id = randomUUID();
    const { secret, sealed } = this.secrets.generate(id);
    const entity = Object.assign(new WebhookEndpointEntity(), {
      id,
      name: body.name,
      url: body.url,
      events: body.events,
      teamId: body.teamId ?? null,
      secretSealed: sealed,
      createdBy: context.actor.id,
      createdAt: new Date(),
      disabledAt: null,
    });
    return this.uow.write(async (tx) => {
      if (entity.teamId && !(await this.teams.findById(tx, entity.teamId))) {
        throw DomainError.validation([
          { field: 'teamId', message: 'is not a team', code: 'unknown_reference' },
        ]);
      }
      await this.endpoints.insert(tx, entity);
      const view = toEndpointView(entity);
      await this.audit.record(tx, context, {
        action: 'webhook_endpoint.created',
        subjectType: 'webhook_endpoint',
        subjectId: id,
        after: auditable(view),
      });
      return { ...view, secret };
    });
  }

  async list(actor: Actor): Promise<WebhookEndpointView[]> {
    assertHasRole(actor, ['admin'], ADMIN_ONLY);
    return this.uow.read(async (tx) => (await this.endpoints.list(tx)).map(toEndpointView));
  }

  /** Disables the endpoint: no new deliveries, and its pending ones fail at their next attempt. */
  async disable(context: RequestContext, id: string): Promise<WebhookEndpointView> {
    assertHasRole(context.actor, ['admin'], ADMIN_ONLY);
    assertIdLike(id, 'The webhook endpoint');
    return this.uow.write(async (tx) => {
      const entity = await this.found(tx, id);
      if (entity.disabledAt !== null) {
        return toEndpointView(entity); // disabling twice changes nothing
      }
      const before = toEndpointView(entity);
      entity.disabledAt = new Date();
      await this.endpoints.save(tx, entity);
      const after = toEndpointView(entity);
      await this.audit.record(tx, context, {
        action: 'webhook_endpoint.disabled',
        subjectType: 'webhook_endpoint',
        subjectId: id,
        before: auditable(before),
        after: auditable(after),
      });
      return after;
    });
  }

  /** A new signing secret, shown once; the old one stops working at once. */
  async rotateSecret(context: RequestContext, id: string): Promise<WebhookEndpointWithSecretView> {
    assertHasRole(context.actor, ['admin'], ADMIN_ONLY);
    assertIdLike(id, 'The webhook endpoint');
    return this.uow.write(async (tx) => {
      const entity = await this.found(tx, id);
      if (entity.disabledAt !== null) {
        throw new DomainError('invalid_state', 'The webhook endpoint is disabled.', [], 'endpoint_enabled');
      }
      const { secret, sealed } = this.secrets.generate(entity.id);
      entity.secretSealed = sealed;
      await this.endpoints.save(tx, entity);
      await this.audit.record(tx, context, {
        action: 'webhook_endpoint.secret_rotated',
        subjectType: 'webhook_endpoint',
        subjectId: id,
      });
      return { ...toEndpointView(entity), secret };
    });
  }

  /** Deliveries newest first (e-mails and webhooks), optionally of one status. */
  async deliveries(actor: Actor, query: unknown): Promise<DeliveryView[]> {
    assertHasRole(actor, ['admin'], ADMIN_ONLY);
    const parsed = deliveryQuerySchema.safeParse(query ?? {});
    if (!parsed.success) {
      throw DomainError.validation(zodProblems(parsed.error));
    }
    return this.uow.read(async (tx) =>
      (await this.notifications.list(tx, parsed.data)).map(({ delivery, type }) =>
        toDeliveryView(delivery, type),
      ),
    );
  }

  /**
   * Sends a failed (or delivered) delivery again with fresh attempts; the same event, so the same
   * `webhook-id` (receivers dedupe on it) and the same Notify reference. 409 while it is still in flight.
   */
  async replay(context: RequestContext, id: string): Promise<DeliveryView> {
    assertHasRole(context.actor, ['admin'], ADMIN_ONLY);
    assertIdLike(id, 'The delivery');
    const view = await this.uow.write(async (tx) => {
      const before = await this.notifications.findDelivery(tx, id);
      if (!before) {
        throw DomainError.notFound('The delivery');
      }
      const now = new Date();
      if (!(await this.notifications.replay(tx, id, now))) {
        throw new DomainError(
          'conflict',
          'The delivery is still being sent (pending or retrying): wait for it to be delivered or fail.',
          [],
          'delivery_settled',
        );
      }
      await this.audit.record(tx, context, {
        action: 'notification_delivery.replayed',
        subjectType: 'notification_delivery',
        subjectId: id,
        before: { status: before.status, attempts: before.attempts, lastError: before.lastError },
        after: { status: 'pending', attempts: 0 },
      });
      const after = await this.notifications.withEvent(tx, id);
      return toDeliveryView(after?.delivery ?? before, after?.event.type ?? 'unknown');
    });
    await this.outbox.enqueue({ id, attempts: 0, dueAt: new Date(view.updatedAt) }).catch(() => undefined); // left to the sweep
    return view;
  }

  private async found(tx: Parameters<WebhookEndpointRepository['findById']>[0], id: string) {
    const entity = await this.endpoints.findById(tx, id, true);
    if (!entity) {
      throw DomainError.notFound('The webhook endpoint');
    }
    return entity;
  }

  /** https (or http to an allow-listed host), resolving only to addresses the egress policy lets calls reach. */
  private async checkUrl(url: string): Promise<void> {
    const refuse = (message: string) =>
      DomainError.validation([{ field: 'url', message, code: 'egress_refused' }]);
    const refusal = await this.network.policy.checkUrl(url);
    if (refusal) {
      throw refuse(refusal);
    }
    if (new URL(url).protocol !== 'https:' && (await this.strict.checkUrl(url)) === null) {
      throw refuse('must be an https URL (plain http only to a host GATEHOUSE_EGRESS_ALLOW lists)');
    }
  }
}

/** Ids are UUIDs: anything else is not found, answered before the database is asked. */
function assertIdLike(id: string, what: string): void {
  if (!isIdLike(id)) {
    throw DomainError.notFound(what);
  }
}

function toEndpointView(entity: WebhookEndpointEntity): WebhookEndpointView {
  return {
    id: entity.id,
    name: entity.name,
    url: entity.url,
    events: entity.events,
    teamId: entity.teamId,
    createdBy: entity.createdBy,
    createdAt: entity.createdAt.toISOString(),
    disabledAt: entity.disabledAt?.toISOString() ?? null,
  };
}

/** What the audit log keeps of an endpoint: not its URL's path and query (they often hold a token). */
function auditable(view: WebhookEndpointView): object {
  const url = new URL(view.url);
  return { ...view, url: `${url.protocol}//${url.host}/…` };
}

function toDeliveryView(delivery: NotificationDeliveryEntity, type: string): DeliveryView {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    type,
    channel: delivery.channel,
    endpointId: delivery.endpointId,
    recipientUserId: delivery.recipientUserId,
    status: delivery.status,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
  };
}
