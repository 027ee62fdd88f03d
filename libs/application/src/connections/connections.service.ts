import { type GatehouseConfig } from '@gatehouse/config';
import { type Actor, assertHasRole, DomainError } from '@gatehouse/domain';
import { type ResolvedConnection, type ScorerConfig, type TargetConfig } from '@gatehouse/evals';
import {
  ConnectionRepository,
  ProviderConnectionEntity,
  TeamRepository,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { InjectConfig } from '../gatehouse-config.module';
import { type RequestContext } from '../request-context';
import { zodProblems } from '../validation/zod-problems';
import {
  auditable,
  checkShape,
  connectionNames,
  mayUse,
  openConnection,
  platformUseProblems,
  sharedTeamIds,
  storedTeams,
  toConnectionView,
} from './connection-rules';
import {
  ALL_TEAMS,
  type ConnectionView,
  createConnectionSchema,
  updateConnectionSchema,
} from './connections.schema';
import { PlatformNetwork } from './platform-network';
import { SecretBox } from './secret-box';

/**
 * Provider connections: an admin says where platform targets and judges may call, which teams may use
 * each, and its secret (sealed in the database, never read back). A run names a connection; the worker
 * opens its secret only to make the calls. The rules themselves are in connection-rules.ts.
 */
@Injectable()
export class ConnectionsService {
  private readonly box: SecretBox;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly connections: ConnectionRepository,
    private readonly teams: TeamRepository,
    private readonly audit: AuditService,
    private readonly network: PlatformNetwork,
    @InjectConfig() config: GatehouseConfig,
  ) {
    this.box = SecretBox.fromConfig(config);
  }

  /** Names of the LangChain modules the operator registered. */
  modules(): string[] {
    return [...this.network.modules.keys()];
  }

  async list(actor: Actor): Promise<ConnectionView[]> {
    const visible = (await this.connections.list()).filter((row) => mayUse(actor, actor.teamId, row));
    return this.uow.read((tx) => this.views(tx, visible));
  }

  async get(actor: Actor, name: string): Promise<ConnectionView> {
    return this.uow.read(async (tx) => {
      const row = await this.connections.findByName(tx, name);
      if (!row || !mayUse(actor, actor.teamId, row)) {
        throw DomainError.notFound('The connection');
      }
      return (await this.views(tx, [row]))[0];
    });
  }

  async create(context: RequestContext, input: unknown): Promise<ConnectionView> {
    assertHasRole(context.actor, ['admin'], 'Managing provider connections');
    const parsed = createConnectionSchema.safeParse(input);
    if (!parsed.success) {
      throw DomainError.validation(zodProblems(parsed.error));
    }
    const body = parsed.data;
    checkShape(body.kind, body);
    await this.checkEgress(body.baseUrl);
    const id = randomUUID();
    const now = new Date();
    const entity = Object.assign(new ProviderConnectionEntity(), {
      id,
      name: body.name,
      kind: body.kind,
      baseUrl: body.baseUrl,
      description: body.description ?? null,
      teams: storedTeams(body.teams),
      headers: body.headers ?? {},
      secretHeader: body.secretHeader ?? null,
      secretSealed: body.secret ? this.box.seal(body.secret, `connection:${id}`) : null,
      revision: 1,
      createdBy: context.actor.id,
      createdAt: now,
      updatedAt: now,
    });
    return this.uow.write(async (tx) => {
      await this.checkTeams(tx, entity.teams);
      if (!(await this.connections.insert(tx, entity))) {
        throw new DomainError('conflict', `A connection named ${body.name} already exists.`, [
          { field: 'name', message: 'is taken', code: 'taken' },
        ]);
      }
      const view = (await this.views(tx, [entity]))[0];
      await this.audit.record(tx, context, {
        action: 'connection.created',
        subjectType: 'provider_connection',
        subjectId: id,
        after: auditable(view),
      });
      return view;
    });
  }

  async update(context: RequestContext, name: string, input: unknown): Promise<ConnectionView> {
    assertHasRole(context.actor, ['admin'], 'Managing provider connections');
    const parsed = updateConnectionSchema.safeParse(input);
    if (!parsed.success) {
      throw DomainError.validation(zodProblems(parsed.error));
    }
    const body = parsed.data;
    if (body.baseUrl !== undefined) {
      await this.checkEgress(body.baseUrl);
    }
    return this.uow.write(async (tx) => {
      const entity = await this.connections.findByName(tx, name, true);
      if (!entity) {
        throw DomainError.notFound('The connection');
      }
      const before = (await this.views(tx, [entity]))[0];
      const kind = body.kind ?? entity.kind;
      checkShape(kind, {
        headers: body.headers ?? entity.headers,
        secretHeader: body.secretHeader === undefined ? entity.secretHeader : body.secretHeader,
      });
      if (body.teams) {
        await this.checkTeams(tx, body.teams);
      }
      Object.assign(entity, {
        kind,
        baseUrl: body.baseUrl ?? entity.baseUrl,
        description: body.description === undefined ? entity.description : body.description,
        teams: body.teams ? storedTeams(body.teams) : entity.teams,
        headers: body.headers ?? entity.headers,
        secretHeader: body.secretHeader === undefined ? entity.secretHeader : body.secretHeader,
        secretSealed:
          body.secret === undefined
            ? entity.secretSealed
            : body.secret === null
              ? null
              : this.box.seal(body.secret, `connection:${entity.id}`),
        revision: entity.revision + 1,
        updatedAt: new Date(),
      });
      await this.connections.save(tx, entity);
      const after = (await this.views(tx, [entity]))[0];
      await this.audit.record(tx, context, {
        action: 'connection.updated',
        subjectType: 'provider_connection',
        subjectId: entity.id,
        before: auditable(before),
        after: { ...auditable(after), secretChanged: body.secret !== undefined },
        reason: body.reason,
      });
      return after;
    });
  }

  async remove(context: RequestContext, name: string, reason?: string): Promise<void> {
    assertHasRole(context.actor, ['admin'], 'Managing provider connections');
    await this.uow.write(async (tx) => {
      const entity = await this.connections.findByName(tx, name);
      if (!entity) {
        throw DomainError.notFound('The connection');
      }
      const before = (await this.views(tx, [entity]))[0];
      await this.connections.delete(tx, entity.id);
      await this.audit.record(tx, context, {
        action: 'connection.deleted',
        subjectType: 'provider_connection',
        subjectId: entity.id,
        before: auditable(before),
        reason,
      });
    });
  }

  /**
   * Refuses a platform run's target and judges unless every endpoint comes from a connection the team may
   * use (and every module from the operator's folder): see platformUseProblems.
   */
  async assertUsable(
    tx: Tx,
    teamId: string | null,
    actor: Actor,
    target: TargetConfig,
    scorers: readonly ScorerConfig[],
  ): Promise<void> {
    const names = connectionNames(target, scorers);
    const rows = names.length > 0 ? await this.connections.findByNames(tx, names) : [];
    const modules = new Set(this.network.modules.keys());
    const problems = platformUseProblems({ actor, teamId, target, scorers }, modules, rows);
    if (problems.length > 0) {
      throw DomainError.validation(
        problems,
        'On this server a target and its judges reach models only through connections an admin set up.',
      );
    }
  }

  /** The connections a run calls, secrets opened, for its workers. */
  async resolve(names: readonly string[]): Promise<Map<string, ResolvedConnection>> {
    if (names.length === 0) {
      return new Map();
    }
    const rows = await this.uow.read((tx) => this.connections.findByNames(tx, names));
    return new Map(rows.map((row) => [row.name, openConnection(this.box, row)]));
  }

  private async checkEgress(url: string): Promise<void> {
    const refusal = await this.network.policy.checkUrl(url);
    if (refusal) {
      throw DomainError.validation(
        [
          {
            field: 'baseUrl',
            message: `is refused by the egress policy: ${refusal}`,
            code: 'egress_refused',
          },
        ],
        'Gatehouse does not call this address.',
      );
    }
  }

  private async checkTeams(tx: Tx, teams: string[]): Promise<void> {
    const ids = teams.filter((t) => t !== ALL_TEAMS);
    if (ids.length === 0) {
      return;
    }
    const found = new Set((await this.teams.findByIds(tx, ids)).map((t) => t.id));
    const problems = teams
      .map((team, index) => ({ team, index }))
      .filter(({ team }) => team !== ALL_TEAMS && !found.has(team))
      .map(({ index }) => ({
        field: `teams[${index}]`,
        message: 'is not a known team',
        code: 'unknown_reference',
      }));
    if (problems.length > 0) {
      throw DomainError.validation(problems);
    }
  }

  private async views(tx: Tx, rows: ProviderConnectionEntity[]): Promise<ConnectionView[]> {
    const teams = await this.teams.findByIds(tx, sharedTeamIds(rows));
    const names = new Map(teams.map((t) => [t.id, t.name]));
    return rows.map((row) => toConnectionView(row, names));
  }
}
