import { DomainError } from '@gatehouse/domain';
import { UnitOfWork } from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { type RequestContext } from '../request-context';

/** What a refused attempt is recorded against: the action tried and its subject. */
export interface AttemptedAction {
  attempted: string;
  subjectType: string;
  subjectId: string;
}

/** Every refused gate action leaves a trace in the audit log: each action's `catch` hands its error here. */
@Injectable()
export class RefusalAudit {
  private readonly logger = new Logger(RefusalAudit.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
  ) {}

  /**
   * Called from a gate action's `catch` (which then rethrows): when a business rule refused the action,
   * records the refused attempt in the audit log, in a transaction of its own (the action's own rolled
   * back). Anything else, "not found" included, is not recorded. A failure to record is logged, never
   * thrown, so the caller rethrows the refusal itself.
   */
  async record(context: RequestContext, on: AttemptedAction, error: unknown): Promise<void> {
    if (!(error instanceof DomainError) || error.code === 'not_found') {
      return;
    }
    await this.uow
      .write((tx) =>
        this.audit.record(tx, context, {
          action: 'gate.refused',
          subjectType: on.subjectType,
          subjectId: on.subjectId,
          after: {
            attempted: on.attempted,
            code: error.code,
            rule: error.rule ?? null,
            message: error.message,
            problems: error.problems,
          },
        }),
      )
      .catch((auditError: unknown) => {
        this.logger.error(`Could not audit a refused ${on.attempted}: ${String(auditError)}`);
      });
  }
}
