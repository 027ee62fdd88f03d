import {
  type AuditChainReport,
  AuditChainVerifier,
  type AuditEvent,
  type AuditEventContent,
  type JsonValue,
  sealAuditEvent,
} from '@gatehouse/domain';
import { randomUUID } from 'node:crypto';
import { And, LessThanOrEqual, MoreThan } from 'typeorm';
import { AuditChainHeadEntity, AuditEventEntity } from './entities';
import { managerOf, readWith, type Tx, type UnitOfWork } from './unit-of-work';

export interface AuditEventFilter {
  subjectType?: string;
  subjectId?: string;
  actorId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

/**
 * Appends to and reads the audit hash chain. Appending happens inside the caller's transaction, so the
 * event commits or rolls back with the change it records. The chain head row is the append lock: on
 * PostgreSQL `SELECT … FOR UPDATE` makes concurrent writers queue on it; on SQLite the unit of work
 * already serialises every transaction.
 */
export class AuditLogRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async append(tx: Tx, content: AuditEventContent, now: Date = new Date()): Promise<AuditEvent> {
    const manager = managerOf(tx);
    const head = await manager.findOne(AuditChainHeadEntity, { where: { id: 1 }, lock: this.uow.forUpdate });
    if (!head) {
      throw new Error('The audit chain head is missing: has the database been migrated?');
    }
    const event = sealAuditEvent(content, {
      seq: head.seq + 1,
      id: randomUUID(),
      occurredAt: now,
      prevHash: head.hash,
    });
    await manager.insert(AuditEventEntity, toEntity(event));
    await manager.update(AuditChainHeadEntity, { id: 1 }, { seq: event.seq, hash: event.hash });
    return event;
  }

  /**
   * Re-computes the whole chain page by page up to the head as it stood when verification began, so
   * events appended meanwhile do not confuse it. Reports the first broken or missing link; a missing head
   * row is a broken chain (`missing_head`, every event read), not an error.
   */
  async verify(pageSize = 2000): Promise<AuditChainReport> {
    const head = await readWith(this.uow, (m) => m.findOneBy(AuditChainHeadEntity, { id: 1 }));
    const verifier = new AuditChainVerifier();
    let after = 0;
    for (;;) {
      const page = await readWith(this.uow, (m) =>
        m.find(AuditEventEntity, {
          where: { seq: head ? And(MoreThan(after), LessThanOrEqual(head.seq)) : MoreThan(after) },
          order: { seq: 'ASC' },
          take: pageSize,
        }),
      );
      let intact = true;
      for (const row of page) {
        intact = verifier.push(fromEntity(row));
        if (!intact) {
          break;
        }
      }
      if (!intact || page.length < pageSize) {
        break;
      }
      after = page[page.length - 1].seq;
    }
    return verifier.finish(head && { seq: head.seq, hash: head.hash });
  }

  async list(
    filter: AuditEventFilter,
    limit: number,
    offset: number,
  ): Promise<{ items: AuditEvent[]; total: number }> {
    return readWith(this.uow, async (m) => {
      const query = m.getRepository(AuditEventEntity).createQueryBuilder('e');
      if (filter.subjectType) {
        query.andWhere('e.subject_type = :subjectType', { subjectType: filter.subjectType });
      }
      if (filter.subjectId) {
        query.andWhere('e.subject_id = :subjectId', { subjectId: filter.subjectId });
      }
      if (filter.actorId) {
        query.andWhere('e.actor_id = :actorId', { actorId: filter.actorId });
      }
      if (filter.action) {
        query.andWhere('e.action = :action', { action: filter.action });
      }
      if (filter.from) {
        query.andWhere('e.occurred_at >= :from', { from: filter.from });
      }
      if (filter.to) {
        query.andWhere('e.occurred_at < :to', { to: filter.to });
      }
      const [rows, total] = await query.orderBy('e.seq', 'DESC').take(limit).skip(offset).getManyAndCount();
      return { items: rows.map(fromEntity), total };
    });
  }
}

function toEntity(event: AuditEvent): AuditEventEntity {
  return Object.assign(new AuditEventEntity(), { ...event, occurredAt: new Date(event.occurredAt) });
}

function fromEntity(row: AuditEventEntity): AuditEvent {
  return {
    seq: row.seq,
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    actorId: row.actorId,
    actorName: row.actorName,
    action: row.action,
    subjectType: row.subjectType,
    subjectId: row.subjectId,
    before: row.before as JsonValue | null,
    after: row.after as JsonValue | null,
    reason: row.reason,
    requestId: row.requestId,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}
