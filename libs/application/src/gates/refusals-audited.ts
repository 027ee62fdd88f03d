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

/** Every refused gate action leaves a trace in the audit log. */
@Injectable()
export class RefusalAudit {
  private readonly logger = new Logger(RefusalAudit.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
  ) {}

  /**
   * Runs a gate action; when a business rule refuses it, records the refused attempt in the audit log (in
   * a transaction of its own: the action's own rolled back) and rethrows. "Not found" is not recorded.
   */
  async run<T>(context: RequestContext, on: AttemptedAction, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof DomainError && error.code !== 'not_found') {
        await this.record(context, on, error);
      }
      throw error;
    }
  }

  /** Records a refused attempt in a transaction of its own; a failure to record is logged, never thrown. */
  async record(context: RequestContext, on: AttemptedAction, error: DomainError): Promise<void> {
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
