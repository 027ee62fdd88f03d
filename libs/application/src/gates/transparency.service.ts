import {
  type Actor,
  type AiUseCaseRecord,
  type ApprovedEvaluationMetric,
  type ApprovedEvaluationSummary,
  assertCanViewAiUseCase,
  buildTransparencyRecord,
  DomainError,
  hasRole,
  type RunSummary,
  type TransparencyRecord,
} from '@gatehouse/domain';
import {
  AiUseCaseEntity,
  EvaluationRunEntity,
  GateApprovalEntity,
  GateEvaluationEntity,
  StageChangeEntity,
  TeamEntity,
  TransparencyRecordEntity,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { type EntityManager, In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { type RequestContext } from '../request-context';
import { type StoredRunReport } from '../runs/runs.views';

export interface TransparencyListEntry {
  id: string;
  name: string;
  organisation: string;
  stage: string;
  riskTier: string;
  publishedAt: string;
  updatedAt: string;
}

export interface PublishedTransparencyRecord {
  record: TransparencyRecord;
  publishedAt: string;
  updatedAt: string;
}

/**
 * ATRS-shaped transparency records: published by the owning service team, refreshed on every stage
 * change (so the public record shows the stage and the approved evidence), readable by anyone.
 */
@Injectable()
export class TransparencyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
  ) {}

  /** Publishes (or republishes, with new redactions) the record of a use case. */
  async publish(
    context: RequestContext,
    useCaseId: string,
    input: { redactions?: string[]; redactionReason?: string },
  ): Promise<PublishedTransparencyRecord> {
    return this.uow.write(async (m) => {
      const useCase = /^[0-9a-f-]{36}$/i.test(useCaseId)
        ? await m.findOne(AiUseCaseEntity, { where: { id: useCaseId }, lock: this.uow.forUpdate })
        : null;
      if (!useCase) {
        throw DomainError.notFound('The AI use case');
      }
      assertCanViewAiUseCase(context.actor, useCase);
      assertCanPublish(context.actor, useCase);
      const existing = await m.findOneBy(TransparencyRecordEntity, { aiUseCaseId: useCaseId });
      const now = new Date();
      const row = Object.assign(existing ?? new TransparencyRecordEntity(), {
        aiUseCaseId: useCaseId,
        redactions: [...new Set(input.redactions ?? [])].sort(),
        redactionReason: input.redactionReason ?? null,
        publishedBy: context.actor.id,
        publishedAt: existing?.publishedAt ?? now,
        updatedAt: now,
      });
      await this.build(m, useCase, row);
      await m.save(TransparencyRecordEntity, row);
      await this.audit.record(m, context, {
        action: existing ? 'transparency.republished' : 'transparency.published',
        subjectType: 'ai_use_case',
        subjectId: useCaseId,
        before: existing
          ? { redactions: existing.redactions, useCaseRevision: existing.useCaseRevision }
          : undefined,
        after: {
          redactions: row.redactions,
          useCaseRevision: row.useCaseRevision,
          evaluationId: row.evaluationId,
        },
      });
      return toPublished(row);
    });
  }

  /** Called inside a stage change's transaction: a published record follows the use case. */
  async refreshIfPublished(
    m: EntityManager,
    context: RequestContext,
    useCase: AiUseCaseEntity,
  ): Promise<void> {
    const row = await m.findOneBy(TransparencyRecordEntity, { aiUseCaseId: useCase.id });
    if (!row) {
      return;
    }
    row.updatedAt = new Date();
    await this.build(m, useCase, row);
    await m.save(TransparencyRecordEntity, row);
    await this.audit.record(m, context, {
      action: 'transparency.refreshed',
      subjectType: 'ai_use_case',
      subjectId: useCase.id,
      after: { stage: useCase.stage, useCaseRevision: row.useCaseRevision, evaluationId: row.evaluationId },
    });
  }

  /** The public register: every published record, newest change first. No sign-in. */
  listPublic(): Promise<TransparencyListEntry[]> {
    return this.uow.read(async (m) => {
      const rows = await m.find(TransparencyRecordEntity, { order: { updatedAt: 'DESC' }, take: 1000 });
      return rows.map((row) => {
        const record = row.record as TransparencyRecord;
        return {
          id: row.aiUseCaseId,
          name: record.tier1.name,
          organisation: record.metadata.organisation ?? record.metadata.team,
          stage: record.metadata.stage,
          riskTier: record.metadata.riskTier,
          publishedAt: row.publishedAt.toISOString(),
          updatedAt: row.updatedAt.toISOString(),
        };
      });
    });
  }

  getPublic(useCaseId: string): Promise<PublishedTransparencyRecord> {
    return this.uow.read(async (m) => {
      const row = /^[0-9a-f-]{36}$/i.test(useCaseId)
        ? await m.findOneBy(TransparencyRecordEntity, { aiUseCaseId: useCaseId })
        : null;
      if (!row) {
        throw DomainError.notFound('The transparency record');
      }
      return toPublished(row);
    });
  }

  /** Rebuilds the record from the use case, its stage and the latest approved evaluation's runs. */
  private async build(
    m: EntityManager,
    useCase: AiUseCaseEntity,
    row: TransparencyRecordEntity,
  ): Promise<void> {
    const team = await m.findOneBy(TeamEntity, { id: useCase.ownerTeamId });
    const evaluation = await this.approvedEvaluation(m, useCase.id);
    row.record = buildTransparencyRecord({
      id: useCase.id,
      name: useCase.name,
      teamName: team?.name ?? '',
      stage: useCase.stage,
      tier: useCase.riskTier,
      record: useCase.record as AiUseCaseRecord,
      evaluation: evaluation?.summary ?? null,
      publishedAt: row.updatedAt.toISOString(),
      redactions: row.redactions,
      redactionReason: row.redactionReason ?? undefined,
    });
    row.useCaseRevision = useCase.revision;
    row.evaluationId = evaluation?.id ?? null;
  }

  private async approvedEvaluation(
    m: EntityManager,
    useCaseId: string,
  ): Promise<{ id: string; summary: ApprovedEvaluationSummary } | null> {
    const change = await m.findOne(StageChangeEntity, {
      where: { aiUseCaseId: useCaseId, kind: In(['promotion', 'reapproval']) },
      order: { createdAt: 'DESC' },
    });
    if (!change?.evaluationId) {
      return null;
    }
    const evaluation = await m.findOneByOrFail(GateEvaluationEntity, { id: change.evaluationId });
    const lastApproval = await m.findOne(GateApprovalEntity, {
      where: { evaluationId: evaluation.id, decision: 'approve' },
      order: { createdAt: 'DESC' },
    });
    const runIds = evaluation.result.runsUsed.map((run) => run.id);
    const runs = runIds.length
      ? await m.find(EvaluationRunEntity, { where: { id: In(runIds) }, select: { id: true, report: true } })
      : [];
    const reports = new Map(runs.map((run) => [run.id, run.report as StoredRunReport | null]));
    const metrics: ApprovedEvaluationMetric[] = evaluation.result.runsUsed.flatMap((used) => {
      const summary = reports.get(used.id)?.summary as RunSummary | undefined;
      return (summary?.metrics ?? []).map((metric) => ({
        suite: used.suite,
        version: used.version,
        runId: used.id,
        metric: metric.name,
        value: metric.value,
        ciLower: metric.interval?.lower ?? null,
        ciUpper: metric.interval?.upper ?? null,
        n: metric.n,
      }));
    });
    return {
      id: evaluation.id,
      summary: {
        to: evaluation.toStage,
        verdict: evaluation.verdict,
        hash: evaluation.hash,
        approvedAt: (lastApproval?.createdAt ?? change.createdAt).toISOString(),
        evaluatedAt: evaluation.evaluatedAt.toISOString(),
        metrics,
      },
    };
  }
}

function assertCanPublish(actor: Actor, useCase: AiUseCaseEntity): void {
  const owner =
    actor.teamId !== null && actor.teamId === useCase.ownerTeamId && hasRole(actor, 'service_team');
  if (!owner && !hasRole(actor, 'admin')) {
    throw DomainError.forbidden(
      'Only the owning service team publishes its transparency record.',
      'publish_by_owning_service_team',
    );
  }
}

function toPublished(row: TransparencyRecordEntity): PublishedTransparencyRecord {
  return {
    record: row.record as TransparencyRecord,
    publishedAt: row.publishedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
