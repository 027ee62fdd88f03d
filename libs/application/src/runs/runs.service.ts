import { type GatehouseConfig } from '@gatehouse/config';
import {
  type Actor,
  assertCanCancelRun,
  assertHasRole,
  canViewAiUseCase,
  DomainError,
  formatSuiteRef,
  hasRole,
  type SuiteRef,
} from '@gatehouse/domain';
import { type SuiteDefinition, suiteDefinitionOf, type TargetConfig, targetSchema } from '@gatehouse/evals';
import {
  type DatasetEntity,
  RunRepository,
  type SuiteEntity,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { JobName, jobIds } from '@gatehouse/queue';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { ConnectionsService } from '../connections/connections.service';
import { InjectConfig } from '../gatehouse-config.module';
import { checkRecordedFrom, pinReplayCassettes } from '../registry/cassette-pins';
import { type RequestContext } from '../request-context';
import { zodProblems } from '../validation/zod-problems';
import { InjectJobQueue, type JobQueue } from './job-queue.provider';
import { buildManifest, queuedRun } from './run-manifest';
import { loadVisibleRun } from './run-access';
import { type RunResultView, type RunView, toRunResultView, toRunView } from './runs.views';

export interface StartRunInput {
  /** A suite version on this server (the API parses it from `name@version`). */
  suite: SuiteRef;
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
 * enqueue), read, cancel. Execution happens on the workers (runs/execution/); comparisons in
 * RunComparisonService.
 */
@Injectable()
export class RunsService {
  private readonly logger = new Logger(RunsService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly runs: RunRepository,
    private readonly audit: AuditService,
    @InjectJobQueue() private readonly queue: JobQueue,
    @InjectConfig() private readonly config: GatehouseConfig,
    private readonly connections: ConnectionsService,
  ) {}

  async start(context: RequestContext, input: StartRunInput): Promise<RunView> {
    assertHasRole(context.actor, ['engineer', 'service_team'], 'Starting an evaluation run');
    const run = await this.uow.write(async (tx) => {
      const { suite, dataset } = await this.resolveSuite(tx, input);
      const definition = suiteDefinitionOf(suite);
      const { target, pinning } = await this.resolveTarget(tx, context, input, suite, definition);
      // The team the evidence is for: its connections are the ones the target and judges may call.
      await this.connections.assertUsable(
        tx,
        pinning.teamIds[0] ?? null,
        context.actor,
        target,
        definition.scorers,
      );
      const cassettes = await this.pinCassettes(tx, target, definition, pinning);
      if (input.baselineRunId) {
        await this.checkBaseline(tx, context.actor, input.baselineRunId, suite);
      }
      const manifest = buildManifest(suite, dataset, definition, target, cassettes, this.config);
      const { aiUseCaseId, baselineRunId } = input;
      const queued = queuedRun(manifest, {
        suite,
        target,
        aiUseCaseId,
        baselineRunId,
        createdBy: context.actor.id,
      });
      const stored = await this.runs.insert(tx, queued);
      await this.audit.record(tx, context, {
        action: 'run.started',
        subjectType: 'evaluation_run',
        subjectId: queued.id,
        after: {
          suite: `${suite.name}@${suite.version}`,
          suiteHash: suite.sha256,
          datasetHash: dataset.sha256,
          targetHash: queued.targetHash,
          aiUseCaseId: queued.aiUseCaseId,
          baselineRunId: queued.baselineRunId,
          total: queued.total,
        },
      });
      return { ...stored, suite };
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

  /** The suite asked for and its dataset, which must still have the hash the caller expects. */
  private async resolveSuite(
    tx: Tx,
    input: StartRunInput,
  ): Promise<{ suite: SuiteEntity; dataset: DatasetEntity }> {
    const found = await this.runs.suiteWithDataset(tx, input.suite.name, input.suite.version);
    if (!found) {
      throw DomainError.validation([
        {
          field: 'suite',
          message: `${formatSuiteRef(input.suite)} is not a suite on this server`,
          code: 'unknown_reference',
        },
      ]);
    }
    const { dataset } = found;
    if (input.datasetSha256 && input.datasetSha256 !== dataset.sha256) {
      throw DomainError.validation([
        {
          field: 'datasetSha256',
          message: `does not match ${dataset.name}@${dataset.version} (sha256 ${dataset.sha256})`,
          code: 'hash_mismatch',
        },
      ]);
    }
    return found;
  }

  /**
   * The target the run calls (the suite's, the request's, or the use case's registered one) and whose
   * cassettes it may pin. Only the team that owns a use case may add evidence to it.
   */
  private async resolveTarget(
    tx: Tx,
    context: RequestContext,
    input: StartRunInput,
    suite: SuiteEntity,
    definition: SuiteDefinition,
  ): Promise<{ target: TargetConfig; pinning: PinningScope }> {
    let target = parseTarget(definition, input.target);
    const pinning: PinningScope = { teamIds: [context.actor.teamId], registered: null };
    if (input.target === undefined) {
      // The suite's own target may replay the suite owner's cassettes.
      pinning.teamIds.push(suite.ownerTeamId);
    }
    if (input.aiUseCaseId) {
      const useCase = await this.runs.evidenceUseCase(tx, input.aiUseCaseId);
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
    return { target, pinning };
  }

  /**
   * Replay runs pin the exact cassettes (target and judges) they will replay, by content hash: those a
   * registered target pinned at registration, else the current content of names held by the use case's
   * team (or the starter's, or the suite owner's for the suite's own target) or by the platform. A
   * cassette recorded from another configuration than the suite says is refused (checkRecordedFrom).
   */
  private async pinCassettes(
    tx: Tx,
    target: TargetConfig,
    definition: SuiteDefinition,
    scope: PinningScope,
  ): Promise<Record<string, string>> {
    if (target.type !== 'replay') {
      return {};
    }
    const pins = scope.registered ?? (await pinReplayCassettes(tx, target, scope.teamIds));
    await checkRecordedFrom(tx, target, pins, definition);
    return pins;
  }

  /** A baseline must be a run the caller may see, on the same dataset (a paired comparison needs the same items). */
  private async checkBaseline(tx: Tx, actor: Actor, baselineRunId: string, suite: SuiteEntity) {
    const baseline = await this.runs.getWithOwner(tx, baselineRunId);
    // A run the caller cannot see (evidence for another team's draft) is as unknown as one that does not exist.
    if (!baseline || (baseline.useCase && !canViewAiUseCase(actor, baseline.useCase))) {
      throw DomainError.validation([
        { field: 'baselineRunId', message: 'is not a known run', code: 'unknown_reference' },
      ]);
    }
    if (baseline.run.suite?.datasetId !== suite.datasetId) {
      throw DomainError.validation([
        {
          field: 'baselineRunId',
          message: 'ran on a different dataset: a paired comparison needs the same items',
          code: 'incomparable',
        },
      ]);
    }
  }

  async get(actor: Actor, id: string): Promise<RunView> {
    return this.uow.read(async (tx) => toRunView((await loadVisibleRun(this.runs, tx, actor, id)).run));
  }

  async list(
    actor: Actor,
    filter: { aiUseCaseId?: string; status?: string; limit: number; offset: number },
  ): Promise<{ items: RunView[]; total: number }> {
    // Runs of another team's draft use case stay hidden, as the use case does.
    const hideDraftsOfOtherTeamsThan = hasRole(actor, 'admin', 'reviewer') ? undefined : actor.teamId;
    const { items, total } = await this.uow.read((tx) =>
      this.runs.list(tx, { ...filter, hideDraftsOfOtherTeamsThan }),
    );
    return { items: items.map(toRunView), total };
  }

  async results(
    actor: Actor,
    id: string,
    filter: ResultFilter,
  ): Promise<{ items: RunResultView[]; total: number }> {
    const { items, total } = await this.uow.read(async (tx) => {
      await loadVisibleRun(this.runs, tx, actor, id);
      return this.runs.results(tx, id, {
        ...filter,
        group: filter.group ? parseGroup(filter.group) : undefined,
      });
    });
    return { items: items.map(toRunResultView), total };
  }

  async cancel(context: RequestContext, id: string, reason?: string): Promise<RunView> {
    const run = await this.uow.write(async (tx) => {
      const { run, useCase } = await loadVisibleRun(this.runs, tx, context.actor, id, true);
      assertCanCancelRun(context.actor, run, useCase);
      const now = new Date();
      if (!(await this.runs.cancel(tx, id, now))) {
        throw new DomainError(
          'conflict',
          'The run changed state meanwhile; reload it.',
          [],
          'cancel_running_runs',
        );
      }
      await this.audit.record(tx, context, {
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
}

function parseTarget(definition: SuiteDefinition, override: unknown): TargetConfig {
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

/** A `key:value` group filter. */
function parseGroup(group: string): { key: string; value: string } {
  const index = group.indexOf(':');
  if (index < 1) {
    throw DomainError.validation([
      { field: 'group', message: 'must be key:value, e.g. age_band:65+', code: 'invalid' },
    ]);
  }
  return { key: group.slice(0, index), value: group.slice(index + 1) };
}
