import { type Actor, assertCanRecordPilot, DomainError } from '@gatehouse/domain';
import { PilotObservationEntity, PilotObservationRepository, UnitOfWork } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { type RequestContext } from '../request-context';
import { GateReads } from './gate-reads';
import { type PilotObservationView, toPilotObservationView } from './gate.views';
import { RefusalAudit } from './refusals-audited';

export interface PilotObservationInput {
  periodStart: string;
  periodEnd: string;
  cases: number;
  overrides: number;
  undone: number;
  complaints: number;
  incidents: number;
  positiveFeedback?: number;
  negativeFeedback?: number;
  notes?: string;
}

type Problem = { field: string; message: string; code: string };

/** What a pilot showed, period by period: the evidence the gate to scale reads. */
@Injectable()
export class PilotObservationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly pilots: PilotObservationRepository,
    private readonly reads: GateReads,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAudit,
  ) {}

  async record(
    context: RequestContext,
    useCaseId: string,
    input: PilotObservationInput,
  ): Promise<PilotObservationView> {
    const attempt = { attempted: 'pilot.record', subjectType: 'ai_use_case', subjectId: useCaseId };
    try {
      return await this.uow.write(async (tx) => {
        const useCase = await this.reads.useCase(tx, context.actor, useCaseId, true);
        assertCanRecordPilot(context.actor, useCase);
        const problems = pilotProblems(input);
        if (problems.length > 0) {
          throw DomainError.validation(problems);
        }
        const entity = Object.assign(new PilotObservationEntity(), {
          id: randomUUID(),
          aiUseCaseId: useCaseId,
          periodStart: input.periodStart,
          periodEnd: input.periodEnd,
          cases: input.cases,
          overrides: input.overrides,
          undone: input.undone,
          complaints: input.complaints,
          incidents: input.incidents,
          positiveFeedback: input.positiveFeedback ?? 0,
          negativeFeedback: input.negativeFeedback ?? 0,
          notes: input.notes ?? null,
          recordedBy: context.actor.id,
          createdAt: new Date(),
        });
        await this.pilots.insert(tx, entity);
        const view = toPilotObservationView(entity);
        await this.audit.record(tx, context, {
          action: 'pilot.observation_recorded',
          subjectType: 'ai_use_case',
          subjectId: useCaseId,
          after: view,
        });
        return view;
      });
    } catch (error) {
      await this.refusals.record(context, attempt, error);
      throw error;
    }
  }

  /** The use case's observations in period order. */
  async list(actor: Actor, useCaseId: string): Promise<PilotObservationView[]> {
    return this.uow.read(async (tx) => {
      await this.reads.useCase(tx, actor, useCaseId);
      return (await this.pilots.list(tx, useCaseId)).map(toPilotObservationView);
    });
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function pilotProblems(input: PilotObservationInput): Problem[] {
  const problems: Problem[] = [];
  const validDate = (value: string) => DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
  for (const field of ['periodStart', 'periodEnd'] as const) {
    if (!validDate(input[field])) {
      problems.push({ field, message: 'must be a date YYYY-MM-DD', code: 'invalid_date' });
    }
  }
  if (problems.length === 0 && input.periodEnd < input.periodStart) {
    problems.push({ field: 'periodEnd', message: 'must not be before periodStart', code: 'invalid_range' });
  }
  if (problems.length === 0 && input.periodEnd > new Date().toISOString().slice(0, 10)) {
    problems.push({ field: 'periodEnd', message: 'must not be in the future', code: 'invalid_range' });
  }
  for (const field of ['overrides', 'undone'] as const) {
    if (input[field] > input.cases) {
      problems.push({ field, message: `must not exceed cases (${input.cases})`, code: 'invalid_count' });
    }
  }
  return problems;
}
