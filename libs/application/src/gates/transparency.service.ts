import {
  type Actor,
  type ApprovedEvaluationMetric,
  type ApprovedEvaluationSummary,
  type ApprovedPilotEvidence,
  assertCanViewAiUseCase,
  buildTransparencyRecord,
  DomainError,
  hasRole,
  type TransparencyRecord,
} from '@gatehouse/domain';
import {
  type AiUseCaseEntity,
  type GateEvaluationEntity,
  GateEvidenceRepository,
  GateRepository,
  StageChangeRepository,
  TransparencyRecordEntity,
  TransparencyRecordRepository,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { type RequestContext } from '../request-context';
import { isIdLike } from './gate-reads';

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
    private readonly records: TransparencyRecordRepository,
    private readonly gates: GateRepository,
    private readonly stageChanges: StageChangeRepository,
    private readonly runs: GateEvidenceRepository,
    private readonly audit: AuditService,
  ) {}

  /** Publishes (or republishes, with new redactions) the record of a use case. */
  async publish(
    context: RequestContext,
    useCaseId: string,
    input: { redactions?: string[]; redactionReason?: string },
  ): Promise<PublishedTransparencyRecord> {
    return this.uow.write(async (tx) => {
      const useCase = isIdLike(useCaseId) ? await this.gates.useCase(tx, useCaseId, true) : null;
      if (!useCase) {
        throw DomainError.notFound('The AI use case');
      }
      assertCanViewAiUseCase(context.actor, useCase);
      assertCanPublish(context.actor, useCase);
      const existing = await this.records.ofUseCase(tx, useCaseId);
      const now = new Date();
      const row = Object.assign(existing ?? new TransparencyRecordEntity(), {
        aiUseCaseId: useCaseId,
        redactions: [...new Set(input.redactions ?? [])].sort(),
        redactionReason: input.redactionReason ?? null,
        publishedBy: context.actor.id,
        publishedAt: existing?.publishedAt ?? now,
        updatedAt: now,
      });
      await this.build(tx, useCase, row);
      await this.records.save(tx, row);
      await this.audit.record(tx, context, {
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
  async refreshIfPublished(tx: Tx, context: RequestContext, useCase: AiUseCaseEntity): Promise<void> {
    const row = await this.records.ofUseCase(tx, useCase.id);
    if (!row) {
      return;
    }
    row.updatedAt = new Date();
    await this.build(tx, useCase, row);
    await this.records.save(tx, row);
    await this.audit.record(tx, context, {
      action: 'transparency.refreshed',
      subjectType: 'ai_use_case',
      subjectId: useCase.id,
      after: { stage: useCase.stage, useCaseRevision: row.useCaseRevision, evaluationId: row.evaluationId },
    });
  }

  /** The public register: every published record, newest change first. No sign-in. */
  listPublic(): Promise<TransparencyListEntry[]> {
    return this.uow.read(async (tx) => {
      const rows = await this.records.list(tx, 1000);
      return rows.map(({ record, ...row }) => ({
        id: row.aiUseCaseId,
        name: record.tier1.name,
        organisation: record.metadata.organisation ?? record.metadata.team,
        stage: record.metadata.stage,
        riskTier: record.metadata.riskTier,
        publishedAt: row.publishedAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
      }));
    });
  }

  getPublic(useCaseId: string): Promise<PublishedTransparencyRecord> {
    return this.uow.read(async (tx) => {
      const row = isIdLike(useCaseId) ? await this.records.ofUseCase(tx, useCaseId) : null;
      if (!row) {
        throw DomainError.notFound('The transparency record');
      }
      return toPublished(row);
    });
  }

  /** Rebuilds the record from the use case (with its team), its stage and the latest approved evaluation's runs. */
  private async build(tx: Tx, useCase: AiUseCaseEntity, row: TransparencyRecordEntity): Promise<void> {
    const evaluation = await this.approvedEvaluation(tx, useCase.id);
    row.record = buildTransparencyRecord({
      id: useCase.id,
      name: useCase.name,
      teamName: useCase.ownerTeam?.name ?? '',
      stage: useCase.stage,
      tier: useCase.riskTier,
      record: useCase.record,
      evaluation: evaluation?.summary ?? null,
      publishedAt: row.updatedAt.toISOString(),
      redactions: row.redactions,
      redactionReason: row.redactionReason ?? undefined,
    });
    row.useCaseRevision = useCase.revision;
    row.evaluationId = evaluation?.id ?? null;
  }

  private async approvedEvaluation(
    tx: Tx,
    useCaseId: string,
  ): Promise<{ id: string; summary: ApprovedEvaluationSummary } | null> {
    const change = await this.stageChanges.latestApproved(tx, useCaseId);
    const evaluation = change?.evaluationId ? await this.gates.evaluation(tx, change.evaluationId) : null;
    if (!change || !evaluation) {
      return null;
    }
    const lastApproval = await this.gates.latestApproval(tx, evaluation.id);
    const summaries = await this.runs.summaries(
      tx,
      evaluation.result.runsUsed.map((run) => run.id),
    );
    const metrics: ApprovedEvaluationMetric[] = evaluation.result.runsUsed.flatMap((used) =>
      (summaries.get(used.id)?.metrics ?? []).map((metric) => ({
        suite: used.suite,
        version: used.version,
        runId: used.id,
        metric: metric.name,
        value: metric.value,
        ciLower: metric.interval?.lower ?? null,
        ciUpper: metric.interval?.upper ?? null,
        n: metric.n,
      })),
    );
    return {
      id: evaluation.id,
      summary: {
        to: evaluation.toStage,
        verdict: evaluation.verdict,
        hash: evaluation.hash,
        approvedAt: (lastApproval?.createdAt ?? change.createdAt).toISOString(),
        evaluatedAt: evaluation.evaluatedAt.toISOString(),
        metrics,
        ...pilotOf(evaluation),
      },
    };
  }
}

/**
 * Where the approved evaluation's pilot figures came from (live use over its window, or the team's typed
 * observations) and each pilot rule's verdict; nothing when the evaluation had no pilot rule.
 */
function pilotOf(evaluation: GateEvaluationEntity): { pilot?: ApprovedPilotEvidence } {
  const rules = evaluation.result.rules.filter((r) => r.rule.kind === 'pilot_metric');
  if (rules.length === 0) {
    return {};
  }
  return {
    pilot: {
      source: evaluation.inputs.pilotLive ? 'live' : 'recorded',
      window: evaluation.inputs.pilotLive ? { ...evaluation.inputs.pilotLive } : null,
      measures: rules.map((r) => ({ rule: r.title, verdict: r.verdict, value: r.actual })),
    },
  };
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
    record: row.record,
    publishedAt: row.publishedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
