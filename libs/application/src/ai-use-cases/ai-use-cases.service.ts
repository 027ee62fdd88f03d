import {
  type Actor,
  type AiUseCaseRecord,
  applyMergePatch,
  assertCanEditAiUseCase,
  assertCanOverrideRiskTier,
  assertCanRegisterAiUseCase,
  assertCanRegisterTarget,
  assertCanViewAiUseCase,
  changedPaths,
  checkRecordInvariants,
  contentHash,
  deriveRiskTier,
  DomainError,
  effectiveRiskTier,
  hasRole,
  type RiskTier,
  type RiskTierOverride,
  type Stage,
} from '@gatehouse/domain';
import { targetSchema } from '@gatehouse/evals';
import {
  AiUseCaseEntity,
  AiUseCaseRepository,
  TeamRepository,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { ConnectionsService } from '../connections/connections.service';
import { checkRecordedFrom, pinReplayCassettes } from '../registry/cassette-pins';
import { type RequestContext } from '../request-context';
import { zodProblems } from '../validation/zod-problems';
import { aiUseCaseRecordSchema } from './ai-use-case-record.schema';
import {
  type AiUseCaseRevisionView,
  type AiUseCaseView,
  toAiUseCaseRevisionView,
  toAiUseCaseView,
} from './ai-use-case.views';

export interface AiUseCaseListFilter {
  stage?: Stage;
  riskTier?: RiskTier;
  teamId?: string;
  limit: number;
  offset: number;
}

export interface AiUseCaseUpdate {
  /** A JSON Merge Patch (RFC 7396) of the record. */
  changes: Record<string, unknown>;
  reason?: string;
  /** The revision the change was made against; a different current revision refuses it (412). */
  expectedRevision?: number;
}

/** Registers AI use cases and keeps their history: every change is a new revision plus an audit event. */
@Injectable()
export class AiUseCasesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly useCases: AiUseCaseRepository,
    private readonly teams: TeamRepository,
    private readonly audit: AuditService,
    private readonly connections: ConnectionsService,
  ) {}

  async register(
    context: RequestContext,
    input: { ownerTeamId?: string; record: AiUseCaseRecord },
  ): Promise<AiUseCaseView> {
    const ownerTeamId = input.ownerTeamId ?? context.actor.teamId;
    if (!ownerTeamId) {
      throw DomainError.validation([
        { field: 'ownerTeamId', message: 'is required when you belong to no team', code: 'required' },
      ]);
    }
    assertCanRegisterAiUseCase(context.actor, ownerTeamId);
    assertConsistent(input.record, 'record');
    return this.uow.write(async (tx) => {
      const team = await this.teams.findById(tx, ownerTeamId);
      if (!team) {
        throw DomainError.validation([
          { field: 'ownerTeamId', message: 'is not a known team', code: 'unknown_reference' },
        ]);
      }
      const now = new Date();
      const derived = deriveRiskTier(input.record).tier;
      const entity = Object.assign(new AiUseCaseEntity(), {
        id: randomUUID(),
        ownerTeamId,
        name: input.record.name,
        stage: 'proposed' as const,
        derivedRiskTier: derived,
        riskTier: derived,
        riskTierOverride: null,
        revision: 1,
        record: input.record,
        targetConfig: null,
        targetHash: null,
        underChangeSince: null,
        underReviewSince: null,
        createdBy: context.actor.id,
        createdAt: now,
        updatedAt: now,
      });
      await this.useCases.insert(tx, entity);
      await this.insertRevision(tx, entity, context.actor, Object.keys(input.record).sort(), 'Registered');
      const view = toAiUseCaseView(entity, team.name);
      await this.audit.record(tx, context, {
        action: 'ai_use_case.registered',
        subjectType: 'ai_use_case',
        subjectId: entity.id,
        after: auditState(view),
      });
      return view;
    });
  }

  async list(actor: Actor, filter: AiUseCaseListFilter): Promise<{ items: AiUseCaseView[]; total: number }> {
    const { items, total } = await this.useCases.page({
      ...filter,
      // Other teams' drafts stay hidden (canViewAiUseCase).
      visibleToTeam: hasRole(actor, 'admin', 'reviewer') ? undefined : (actor.teamId ?? ''),
    });
    return { items: items.map((row) => toAiUseCaseView(row, row.ownerTeam?.name ?? '')), total };
  }

  get(actor: Actor, id: string): Promise<AiUseCaseView> {
    return this.uow.read(async (tx) => {
      const entity = await this.load(tx, id);
      assertCanViewAiUseCase(actor, entity);
      return toAiUseCaseView(entity, entity.ownerTeam?.name ?? '');
    });
  }

  revisions(actor: Actor, id: string): Promise<AiUseCaseRevisionView[]> {
    return this.uow.read(async (tx) => {
      assertCanViewAiUseCase(actor, await this.load(tx, id));
      return (await this.useCases.revisionsOf(tx, id)).map(toAiUseCaseRevisionView);
    });
  }

  async update(context: RequestContext, id: string, update: AiUseCaseUpdate): Promise<AiUseCaseView> {
    return this.uow.write(async (tx) => {
      const entity = await this.load(tx, id, true);
      assertCanEditAiUseCase(context.actor, entity);
      if (update.expectedRevision !== undefined && update.expectedRevision !== entity.revision) {
        throw new DomainError(
          'precondition_failed',
          `The AI use case is at revision ${entity.revision}, not ${update.expectedRevision}: reload it and apply your change again.`,
          [],
          'revision_matches',
        );
      }
      const parsed = aiUseCaseRecordSchema.safeParse(applyMergePatch(entity.record, update.changes));
      if (!parsed.success) {
        throw DomainError.validation(zodProblems(parsed.error, 'changes'));
      }
      const record = parsed.data as AiUseCaseRecord;
      assertConsistent(record, 'changes');
      const paths = changedPaths(entity.record, record);
      const before = toAiUseCaseView(entity, entity.ownerTeam?.name ?? '');
      if (paths.length === 0) {
        return before;
      }

      const derived = deriveRiskTier(record).tier;
      const overrideVoided =
        entity.riskTierOverride !== null && entity.riskTierOverride.derivedTier !== derived;
      Object.assign(entity, {
        name: record.name,
        record,
        derivedRiskTier: derived,
        riskTierOverride: overrideVoided ? null : entity.riskTierOverride,
        riskTier: effectiveRiskTier(derived, overrideVoided ? null : entity.riskTierOverride),
        revision: entity.revision + 1,
        updatedAt: new Date(),
      });
      await this.useCases.saveState(tx, entity);
      await this.insertRevision(tx, entity, context.actor, paths, update.reason ?? null);
      const after = toAiUseCaseView(entity, entity.ownerTeam?.name ?? '');
      await this.audit.record(tx, context, {
        action: 'ai_use_case.updated',
        subjectType: 'ai_use_case',
        subjectId: id,
        before: auditState(before),
        after: { ...auditState(after), changedPaths: paths, riskTierOverrideVoided: overrideVoided },
        reason: update.reason,
      });
      return after;
    });
  }

  async overrideRiskTier(
    context: RequestContext,
    id: string,
    input: { tier: RiskTier; reason: string },
  ): Promise<AiUseCaseView> {
    return this.uow.write(async (tx) => {
      const entity = await this.load(tx, id, true);
      assertCanOverrideRiskTier(context.actor, entity);
      const before = toAiUseCaseView(entity, entity.ownerTeam?.name ?? '');
      const override: RiskTierOverride = {
        tier: input.tier,
        reason: input.reason,
        derivedTier: entity.derivedRiskTier,
        decidedBy: context.actor.id,
        decidedAt: new Date().toISOString(),
      };
      Object.assign(entity, {
        riskTierOverride: override,
        riskTier: effectiveRiskTier(entity.derivedRiskTier, override),
        revision: entity.revision + 1,
        updatedAt: new Date(),
      });
      await this.useCases.saveState(tx, entity);
      await this.insertRevision(tx, entity, context.actor, ['riskTierOverride'], input.reason);
      const after = toAiUseCaseView(entity, entity.ownerTeam?.name ?? '');
      await this.audit.record(tx, context, {
        action: 'ai_use_case.risk_tier_overridden',
        subjectType: 'ai_use_case',
        subjectId: id,
        before: {
          riskTier: before.riskTier,
          derivedRiskTier: before.derivedRiskTier,
          riskTierOverride: before.riskTierOverride,
        },
        after: {
          riskTier: after.riskTier,
          derivedRiskTier: after.derivedRiskTier,
          riskTierOverride: override,
        },
        reason: input.reason,
      });
      return after;
    });
  }

  /**
   * Registers the system under test (a suite target: model, prompt settings, endpoint). Gate rules read
   * only runs against this exact configuration. Changing it at learn or scale puts the use case under
   * change until a passing, approved re-evaluation of its current stage. A replay target pins its
   * cassettes' content (sha256) now, from names the use case's team (or the platform) holds; its runs
   * replay exactly that. Registering it again re-pins: new content from the team counts as a change.
   */
  async registerTarget(
    context: RequestContext,
    id: string,
    input: { target: unknown; reason?: string },
  ): Promise<AiUseCaseView> {
    const parsed = targetSchema.safeParse(input.target);
    if (!parsed.success) {
      throw DomainError.validation(
        zodProblems(parsed.error, 'target'),
        'The target configuration is not valid.',
      );
    }
    const target = parsed.data;
    const hash = contentHash(target);
    return this.uow.write(async (tx) => {
      const entity = await this.load(tx, id, true);
      assertCanRegisterTarget(context.actor, entity);
      // The suites' judges are checked when a run starts; the target itself must use a connection now.
      await this.connections.assertUsable(tx, entity.ownerTeamId, context.actor, target, []);
      const pins = await pinReplayCassettes(tx, target, [entity.ownerTeamId]);
      await checkRecordedFrom(tx, target, pins);
      const targetCassettes = target.type === 'replay' ? pins : null;
      const before = toAiUseCaseView(entity, entity.ownerTeam?.name ?? '');
      const pinsBefore = entity.targetCassettes;
      if (entity.targetHash === hash && samePins(pinsBefore, targetCassettes)) {
        return before;
      }
      const reopens = entity.targetHash !== null && (entity.stage === 'learn' || entity.stage === 'scale');
      const now = new Date();
      Object.assign(entity, {
        targetConfig: target,
        targetHash: hash,
        targetCassettes,
        underChangeSince: reopens ? (entity.underChangeSince ?? now) : entity.underChangeSince,
        revision: entity.revision + 1,
        updatedAt: now,
      });
      await this.useCases.saveState(tx, entity);
      await this.insertRevision(tx, entity, context.actor, ['target'], input.reason ?? null);
      const after = toAiUseCaseView(entity, entity.ownerTeam?.name ?? '');
      await this.audit.record(tx, context, {
        action: 'ai_use_case.target_registered',
        subjectType: 'ai_use_case',
        subjectId: id,
        before: {
          revision: before.revision,
          target: before.target,
          cassettes: pinsBefore,
          underChangeSince: before.underChangeSince,
        },
        after: {
          revision: after.revision,
          target: after.target,
          cassettes: targetCassettes,
          underChangeSince: after.underChangeSince,
        },
        reason: input.reason,
      });
      return after;
    });
  }

  private async load(tx: Tx, id: string, forUpdate = false): Promise<AiUseCaseEntity> {
    const entity = await this.useCases.findWithTeam(tx, id, forUpdate);
    if (!entity) {
      throw DomainError.notFound('The AI use case');
    }
    return entity;
  }

  private async insertRevision(
    tx: Tx,
    entity: AiUseCaseEntity,
    actor: Actor,
    paths: string[],
    reason: string | null,
  ): Promise<void> {
    await this.useCases.insertRevision(tx, {
      id: randomUUID(),
      aiUseCaseId: entity.id,
      revision: entity.revision,
      record: entity.record,
      stage: entity.stage,
      derivedRiskTier: entity.derivedRiskTier,
      riskTier: entity.riskTier,
      changedPaths: paths,
      changeReason: reason,
      changedBy: actor.id,
      createdAt: entity.updatedAt,
    });
  }
}

function assertConsistent(record: AiUseCaseRecord, prefix: string): void {
  const problems = checkRecordInvariants(record);
  if (problems.length > 0) {
    throw DomainError.validation(problems.map((p) => ({ ...p, field: `${prefix}.${p.field}` })));
  }
}

/** What the audit log keeps of a use case: the whole record and its classification. */
function auditState(view: AiUseCaseView) {
  return {
    revision: view.revision,
    stage: view.stage,
    riskTier: view.riskTier,
    derivedRiskTier: view.derivedRiskTier,
    ownerTeamId: view.ownerTeam.id,
    record: view.record,
  };
}

function samePins(a: Record<string, string> | null, b: Record<string, string> | null): boolean {
  const entries = (pins: Record<string, string> | null) => JSON.stringify(Object.entries(pins ?? {}).sort());
  return (a === null) === (b === null) && entries(a) === entries(b);
}
