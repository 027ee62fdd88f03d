import { type NotificationType } from '@gatehouse/domain';
import { IsNull } from 'typeorm';
import { WebhookEndpointEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** Webhook endpoints (their signing secrets stay sealed here; the application opens them). */
export class WebhookEndpointRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(tx: Tx, endpoint: WebhookEndpointEntity): Promise<void> {
    await managerOf(tx).insert(WebhookEndpointEntity, endpoint);
  }

  async save(tx: Tx, endpoint: WebhookEndpointEntity): Promise<void> {
    const { team: _team, ...columns } = endpoint;
    await managerOf(tx).save(WebhookEndpointEntity, Object.assign(new WebhookEndpointEntity(), columns));
  }

  findById(tx: Tx, id: string, forUpdate = false): Promise<WebhookEndpointEntity | null> {
    return managerOf(tx).findOne(WebhookEndpointEntity, {
      where: { id },
      lock: forUpdate ? this.uow.forUpdate : undefined,
    });
  }

  /** Every endpoint, enabled first, then newest first. */
  async list(tx: Tx): Promise<WebhookEndpointEntity[]> {
    const rows = await managerOf(tx).find(WebhookEndpointEntity, { order: { createdAt: 'DESC', id: 'ASC' } });
    return rows.sort((a, b) => Number(a.disabledAt !== null) - Number(b.disabledAt !== null));
  }

  /**
   * The enabled endpoints that take `type` about `teamId`'s use cases: those of every team (no team) and
   * those of that team. The event list is JSON, so the type is matched here; there are tens of endpoints.
   */
  async subscribed(tx: Tx, type: NotificationType, teamId: string | null): Promise<WebhookEndpointEntity[]> {
    const rows = await managerOf(tx).find(WebhookEndpointEntity, {
      where: { disabledAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return rows.filter(
      (row) =>
        row.events.includes(type) && (row.teamId === null || (teamId !== null && row.teamId === teamId)),
    );
  }
}
