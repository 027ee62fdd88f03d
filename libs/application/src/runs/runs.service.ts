import { type GatehouseConfig } from '@gatehouse/config';
import {
  type Actor,
  assertCanCancelRun,
  assertCanViewAiUseCase,
  CANCELLABLE_RUN_STATUSES,
  canViewAiUseCase,
  assertHasRole,
  contentHash,
  DomainError,
  hasRole,
} from '@gatehouse/domain';
import {
  describeScorers,
  epochSettings,
  providerOf,
  type RunManifest,
  type SuiteDefinition,
  type TargetConfig,
  targetSchema,
} from '@gatehouse/evals';
import {
  AiUseCaseEntity,
  DatasetEntity,
  EvaluationRunEntity,
  RunResultEntity,
  SuiteEntity,
  type TxManager,
  UnitOfWork,
} from '@gatehouse/persistence';
import { JobName, jobIds } from '@gatehouse/queue';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EntityManager, In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ConnectionsService } from '../connections/connections.service';
import { InjectConfig } from '../gatehouse-config.module';
import { checkRecordedFrom, pinReplayCassettes } from '../registry/cassette-pins';
import { type RequestContext } from '../request-context';
import { zodProblems } from '../validation/zod-problems';
import { InjectJobQueue, type JobQueue } from './job-queue.provider';
import { RunComparisonService } from './run-comparison.service';
import {
  type RunResultView,
  type RunView,
  type StoredManifest,
  toRunResultView,
  toRunView,
} from './runs.views';

export interface StartRunInput {
  /** `name@version` of a suite on this server. */
  suite: string;
  /** Overrides the suite's target (e.g. the use case's registered target). */
  target?: unknown;
  aiUseCaseId?: string;
  baselineRunId?: string;
  /** Refuse the run unless the suite's dataset still has this sha256. */
  datasetSha256?: string;
}

/** Whose cassettes a run may pin, and what a registered target pinned already. */
interface PinningScope {
  teamIds: (string | null)[];
  registered: Record<string, string> | null;
}

export interface ResultFilter {
  status?: 'scored' | 'errored' | 'failed';
  /** `key:value`, e.g. `age_band:65+`. */
  group?: string;
  limit: number;
  offset: number;
}

/**
 * Runs on the platform as the API sees them: start (validate, pin every input, record who started it,
 * enqueue), read, cancel, compare. Execution happens in RunExecutionService on the workers.
 */
@Injectable()
export class RunsService {
  private readonly logger = new Logger(RunsService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    @InjectJobQueue() private readonly queue: JobQueue,
    @InjectConfig() private readonly config: GatehouseConfig,
    private readonly connections: ConnectionsService,
    private readonly comparison: RunComparisonService,
  ) {}

  async start(context: RequestContext, input: StartRunInput): Promise<RunView> {
    assertHasRole(context.actor, ['engineer', 'service_team'], 'Starting an evaluation run');
    const run = await this.uow.write(async (m) => {
      const suiteMatch = /^([a-z0-9][a-z0-9._-]{0,79})@(\d+)$/.exec(input.suite);
      const suite = suiteMatch
        ? await m.findOneBy(SuiteEntity, { name: suiteMatch[1], version: Number(suiteMatch[2]) })
        : null;
      if (!suite) {
        throw DomainError.validation([
          {
            field: 'suite',
            message: `${input.suite} is not a suite on this server`,
            code: 'unknown_reference',
          },
        ]);
      }
      const definition = suite.definition as SuiteDefinition;
      const dataset = await m.findOneByOrFail(DatasetEntity, { id: suite.datasetId });
      if (input.datasetSha256 && input.datasetSha256 !== dataset.sha256) {
        throw DomainError.validation([
          {
            field: 'datasetSha256',
            message: `does not match ${dataset.name}@${dataset.version} (sha256 ${dataset.sha256})`,
            code: 'hash_mismatch',
          },
        ]);
      }
      let target = this.resolveTarget(definition, input.target);
      const pinning: PinningScope = { teamIds: [context.actor.teamId], registered: null };
      if (input.target === undefined) {
        // The suite's own target may replay the suite owner's cassettes.
        pinning.teamIds.push(suite.ownerTeamId);
      }
      if (input.aiUseCaseId) {
        const useCase = await m.findOneBy(AiUseCaseEntity, { id: input.aiUseCaseId });
        // A draft of another team is as unknown as a use case that does not exist.
        if (!useCase || !canViewAiUseCase(context.actor, useCase)) {
          throw DomainError.validation([
            { field: 'aiUseCaseId', message: 'is not a known AI use case', code: 'unknown_reference' },
          ]);
        }
        if (useCase.ownerTeamId !== context.actor.teamId && !hasRole(context.actor, 'admin')) {
          throw DomainError.forbidden(
            'Only the team that owns an AI use case can add evaluation evidence to it.',
            'evidence_from_owning_team',
          );
        }
        // Evidence for a use case runs against its registered target unless the request names another.
        pinning.teamIds = [useCase.ownerTeamId, ...(input.target === undefined ? [suite.ownerTeamId] : [])];
        if (input.target === undefined && useCase.targetConfig) {
          target = useCase.targetConfig as TargetConfig;
          pinning.teamIds = [useCase.ownerTeamId];
          pinning.registered = useCase.targetCassettes;
        }
      }
      // The team the evidence is for: its connections are the ones the target and judges may call.
      await this.connections.assertUsable(
        m,
        pinning.teamIds[0] ?? null,
        context.actor,
        target,
        definition.scorers,
      );
      const cassettes = await this.pinCassettes(m, target, definition, pinning);
      if (input.baselineRunId) {
        const baseline = await m.findOne(EvaluationRunEntity, {
          where: { id: input.baselineRunId },
          relations: { suite: true },
        });
        const baselineUseCase = baseline?.aiUseCaseId
          ? await m.findOneBy(AiUseCaseEntity, { id: baseline.aiUseCaseId })
          : null;
        // A run the caller cannot see (evidence for another team's draft) is as unknown as one that does not exist.
        if (!baseline || (baselineUseCase && !canViewAiUseCase(context.actor, baselineUseCase))) {
          throw DomainError.validation([
            { field: 'baselineRunId', message: 'is not a known run', code: 'unknown_reference' },
          ]);
        }
        if (baseline.suite?.datasetId !== suite.datasetId) {
          throw DomainError.validation([
            {
              field: 'baselineRunId',
              message: 'ran on a different dataset: a paired comparison needs the same items',
              code: 'incomparable',
            },
          ]);
        }
      }
      const now = new Date();
      const id = randomUUID();
      const { count: epochs } = epochSettings(definition);
      const manifest: StoredManifest = {
        runId: id,
        suite: { name: suite.name, version: suite.version, hash: suite.sha256 },
        dataset: {
          name: dataset.name,
          version: dataset.version,
          hash: dataset.sha256,
          count: dataset.itemCount,
        },
        target: { type: target.type, description: describeTarget(target), configHash: contentHash(target) },
        scorers: describeScorers(definition.scorers).map((s, i) => ({
          name: s.name,
          type: s.type,
          version: s.version,
          configHash: contentHash(definition.scorers[i]),
        })),
        epochs,
        packageVersion: this.config.version,
        gitCommit: this.config.gitCommit,
        startedAt: now.toISOString(),
        completedAt: null,
        engine: 'platform',
        cassettes,
      } satisfies RunManifest & { cassettes: Record<string, string> };
      const entity = Object.assign(new EvaluationRunEntity(), {
        id,
        suiteId: suite.id,
        aiUseCaseId: input.aiUseCaseId ?? null,
        baselineRunId: input.baselineRunId ?? null,
        status: 'queued' as const,
        targetConfig: target,
        targetHash: manifest.target.configHash,
        provider: providerOf(target),
        total: dataset.itemCount * epochs,
        completed: 0,
        failed: 0,
        errored: 0,
        manifest,
        report: null,
        outcome: null,
        error: null,
        createdBy: context.actor.id,
        createdAt: now,
        startedAt: null,
        completedAt: null,
        cancelledAt: null,
        updatedAt: now,
      });
      await m.insert(EvaluationRunEntity, entity);
      await this.audit.record(m, context, {
        action: 'run.started',
        subjectType: 'evaluation_run',
        subjectId: id,
        after: {
          suite: `${suite.name}@${suite.version}`,
          suiteHash: suite.sha256,
          datasetHash: dataset.sha256,
          targetHash: entity.targetHash,
          aiUseCaseId: entity.aiUseCaseId,
          baselineRunId: entity.baselineRunId,
          total: entity.total,
        },
      });
      entity.suite = suite;
      return entity;
    });
    // The database is the truth: if Redis is away the reconciler enqueues the run later.
    await this.queue
      .add(JobName.StartRun, { runId: run.id }, jobIds.startRun(run.id))
      .catch((error: unknown) => {
        this.logger.warn(
          `Run ${run.id} is queued in the database, but enqueueing failed (${String(error)}); the reconciler will retry.`,
        );
      });
    return toRunView(run);
  }

  private resolveTarget(definition: SuiteDefinition, override: unknown): TargetConfig {
    if (override === undefined) {
      return definition.target;
    }
    const parsed = targetSchema.safeParse(override);
    if (!parsed.success) {
      throw DomainError.validation(
        zodProblems(parsed.error, 'target'),
        'The target configuration is not valid.',
      );
    }
    return parsed.data;
  }

  /**
   * Replay runs pin the exact cassettes (target and judges) they will replay, by content hash: those a
   * registered target pinned at registration, else the current content of names held by the use case's
   * team (or the starter's, or the suite owner's for the suite's own target) or by the platform. A
   * cassette recorded from another configuration than the suite says is refused (checkRecordedFrom).
   */
  private async pinCassettes(
    m: EntityManager,
    target: TargetConfig,
    definition: SuiteDefinition,
    scope: PinningScope,
  ): Promise<Record<string, string>> {
    if (target.type !== 'replay') {
      return {};
    }
    const pins = scope.registered ?? (await pinReplayCassettes(m, target, scope.teamIds));
    await checkRecordedFrom(m, target, pins, definition);
    return pins;
  }

  async get(actor: Actor, id: string): Promise<RunView> {
    return this.uow.read(async (m) => toRunView(await this.loadVisible(m, actor, id)));
  }

  async list(
    actor: Actor,
    filter: { aiUseCaseId?: string; status?: string; limit: number; offset: number },
  ): Promise<{ items: RunView[]; total: number }> {
    return this.uow.read(async (m) => {
      const query = m
        .getRepository(EvaluationRunEntity)
        .createQueryBuilder('run')
        .innerJoinAndSelect('run.suite', 'suite')
        .leftJoin('run.aiUseCase', 'uc');
      if (!hasRole(actor, 'admin', 'reviewer')) {
        // Runs of another team's draft use case stay hidden, as the use case does.
        query.andWhere("(run.ai_use_case_id IS NULL OR uc.owner_team_id = :team OR uc.stage <> 'proposed')", {
          team: actor.teamId ?? '',
        });
      }
      if (filter.aiUseCaseId) {
        query.andWhere('run.ai_use_case_id = :useCase', { useCase: filter.aiUseCaseId });
      }
      if (filter.status) {
        query.andWhere('run.status = :status', { status: filter.status });
      }
      const [rows, total] = await query
        .orderBy('run.created_at', 'DESC')
        .addOrderBy('run.id', 'ASC')
        .take(filter.limit)
        .skip(filter.offset)
        .getManyAndCount();
      return { items: rows.map(toRunView), total };
    });
  }

  async results(
    actor: Actor,
    id: string,
    filter: ResultFilter,
  ): Promise<{ items: RunResultView[]; total: number }> {
    return this.uow.read(async (m) => {
      await this.loadVisible(m, actor, id);
      const query = m.getRepository(RunResultEntity).createQueryBuilder('r').where('r.run_id = :id', { id });
      if (filter.status === 'failed') {
        query.andWhere('r.any_failed = :failed', { failed: true });
      } else if (filter.status) {
        query.andWhere('r.status = :status', { status: filter.status });
      }
      if (filter.group) {
        const index = filter.group.indexOf(':');
        if (index < 1) {
          throw DomainError.validation([
            { field: 'group', message: 'must be key:value, e.g. age_band:65+', code: 'invalid' },
          ]);
        }
        const key = filter.group.slice(0, index);
        const value = filter.group.slice(index + 1);
        // The group attributes are a JSON column: each driver reads a member its own way.
        const member =
          this.uow.driver === 'postgres' ? 'r.groups ->> :groupKey' : 'json_extract(r.groups, :groupPath)';
        query.andWhere(`${member} = :groupValue`, {
          groupKey: key,
          groupPath: `$."${key.replace(/"/g, '')}"`,
          groupValue: value,
        });
      }
      const [rows, total] = await query
        .orderBy('r.seq', 'ASC')
        .addOrderBy('r.epoch', 'ASC')
        .take(filter.limit)
        .skip(filter.offset)
        .getManyAndCount();
      return { items: rows.map(toRunResultView), total };
    });
  }

  async cancel(context: RequestContext, id: string, reason?: string): Promise<RunView> {
    const run = await this.uow.write(async (m) => {
      const run = await this.loadVisible(m, context.actor, id, true);
      const owner = run.aiUseCaseId ? await m.findOneBy(AiUseCaseEntity, { id: run.aiUseCaseId }) : null;
      assertCanCancelRun(context.actor, run, owner);
      const now = new Date();
      const { affected } = await m
        .createQueryBuilder()
        .update(EvaluationRunEntity)
        .set({ status: 'cancelled', cancelledAt: now, updatedAt: now })
        .where('id = :id AND status IN (:...statuses)', { id, statuses: CANCELLABLE_RUN_STATUSES })
        .execute();
      if (affected !== 1) {
        throw new DomainError(
          'conflict',
          'The run changed state meanwhile; reload it.',
          [],
          'cancel_running_runs',
        );
      }
      await this.audit.record(m, context, {
        action: 'run.cancelled',
        subjectType: 'evaluation_run',
        subjectId: id,
        before: { status: run.status, completed: run.completed, total: run.total },
        after: { status: 'cancelled' },
        reason,
      });
      return Object.assign(run, { status: 'cancelled', cancelledAt: now, updatedAt: now });
    });
    await this.queue.broadcastCancel(id).catch(() => undefined);
    await this.queue.add(JobName.AggregateRun, { runId: id }, jobIds.aggregateRun(id)).catch(() => undefined);
    return toRunView(run);
  }

  /** For the gates until they use RunComparisonService.pairedMetrics directly. */
  pairedMetrics(m: EntityManager, a: EvaluationRunEntity, b: EvaluationRunEntity, alpha = 0.05) {
    return this.comparison.pairedMetrics(m as TxManager, a, b, alpha);
  }

  private async loadVisible(
    m: EntityManager,
    actor: Actor,
    id: string,
    forUpdate = false,
  ): Promise<EvaluationRunEntity> {
    const run = await m.findOne(EvaluationRunEntity, {
      where: { id },
      lock: forUpdate ? this.uow.forUpdate : undefined,
    });
    if (!run) {
      throw DomainError.notFound('The run');
    }
    run.suite = (await m.findOneBy(SuiteEntity, { id: run.suiteId })) ?? undefined;
    if (run.aiUseCaseId) {
      const useCase = await m.findOneBy(AiUseCaseEntity, { id: run.aiUseCaseId });
      if (useCase) {
        assertCanViewAiUseCase(actor, useCase);
      }
    }
    return run;
  }

  /** Runs by id, for other services (gates). */
  findRuns(ids: string[]): Promise<EvaluationRunEntity[]> {
    return this.uow.read((m) => m.findBy(EvaluationRunEntity, { id: In(ids) }));
  }
}

function describeTarget(target: TargetConfig): string {
  switch (target.type) {
    case 'replay':
      return `replay of cassette ${target.cassette}${target.recordFrom && target.recordFrom.type !== 'http' && target.recordFrom.model ? ` (recorded from ${target.recordFrom.model})` : ''}`;
    case 'http':
      return target.connection
        ? `${target.method} ${target.path ?? '/'} on connection ${target.connection} (http)`
        : `${target.method} ${target.url ?? ''} (http)`;
    case 'openai':
      return `${target.model} (openai SDK${target.connection ? `, connection ${target.connection}` : ''})`;
    case 'langchain':
      return target.model
        ? `${target.model} (LangChain ChatOpenAI)`
        : `LangChain runnable ${target.module}#${target.export}`;
  }
}
