import { type AuditEvent, type JsonValue, withoutSecrets } from '@gatehouse/domain';
import { AuditLogRepository, type Tx } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { type RequestContext } from '../request-context';

export interface AuditRecord {
  action: string;
  subjectType: string;
  subjectId: string;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

/** Writes audit events inside the caller's transaction; secrets never enter an event. */
@Injectable()
export class AuditService {
  constructor(private readonly auditLog: AuditLogRepository) {}

  record(tx: Tx, context: RequestContext, record: AuditRecord): Promise<AuditEvent> {
    return this.auditLog.append(tx, {
      actorId: context.actor.id,
      actorName: context.actor.name,
      action: record.action,
      subjectType: record.subjectType,
      subjectId: record.subjectId,
      before: record.before === undefined ? null : (withoutSecrets(record.before) as JsonValue),
      after: record.after === undefined ? null : (withoutSecrets(record.after) as JsonValue),
      reason: record.reason ?? null,
      requestId: context.requestId,
    });
  }
}
