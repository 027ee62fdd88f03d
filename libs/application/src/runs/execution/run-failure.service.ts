import { type RunStatus, SYSTEM_ACTOR } from '@gatehouse/domain';
import { RunProgressRepository } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { NotificationsService } from '../../notifications/notifications.service';

const system = { actor: SYSTEM_ACTOR, requestId: null };

/** Fails a run that cannot go on, with the reason a person can act on, audited with the move. */
@Injectable()
export class RunFailureService {
  constructor(
    private readonly progress: RunProgressRepository,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * `from` → failed with `reason` and a `run.failed` audit event (with `after`'s details), in one
   * transaction; true when it moved, false when the run had left `from` meanwhile.
   */
  fail(runId: string, reason: string, from: RunStatus = 'running', after: object = {}): Promise<boolean> {
    return this.notifications.write(async (tx) => {
      if (!(await this.progress.fail(tx, runId, reason, from))) {
        return false;
      }
      await this.audit.record(tx, system, {
        action: 'run.failed',
        subjectType: 'evaluation_run',
        subjectId: runId,
        after: { status: 'failed', ...after },
        reason,
      });
      await this.notifications.recordRunFailed(tx, runId, reason);
      return true;
    });
  }
}
