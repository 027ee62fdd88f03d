import { type GatehouseConfig } from '@gatehouse/config';
import { type Actor, assertHasRole, DomainError, type FieldProblem, hasRole } from '@gatehouse/domain';
import {
  connectionsUsed,
  EvalsError,
  platformProblems,
  type ResolvedConnection,
  type ScorerConfig,
  type TargetConfig,
} from '@gatehouse/evals';
import { isUniqueViolation, ProviderConnectionEntity, TeamEntity, UnitOfWork } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EntityManager, In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { InjectConfig } from '../gatehouse-config.module';
import { type RequestContext } from '../request-context';
import { zodProblems } from '../validation/zod-problems';
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
 * opens its secret only to make the calls.
 */
@Injectable()
export class ConnectionsService {
  private readonly box: SecretBox;

  constructor(
    private readonly uow: UnitOfWork,
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
    return this.uow.read(async (m) => {
      const rows = await m.find(ProviderConnectionEntity, { order: { name: 'ASC' } });
      const visible = rows.filter((row) => mayUse(actor, actor.teamId, row));
      return this.views(m, visible);
    });
  }

  async get(actor: Actor, name: string): Promise<ConnectionView> {
    return this.uow.read(async (m) => {
      const row = await m.findOneBy(ProviderConnectionEntity, { name });
      if (!row || !mayUse(actor, actor.teamId, row)) {
        throw DomainError.notFound('The connection');
      }
      return (await this.views(m, [row]))[0];
    });
  }

  async create(context: RequestContext, input: unknown): Promise<ConnectionView> {
    assertHasRole(context.actor, ['admin'], 'Managing provider connections');
    const parsed = createConnectionSchema.safeParse(input);
    if (!parsed.success) {
      throw DomainError.validation(zodProblems(parsed.error));
    }
    const body = parsed.data;
    this.checkShape(body.kind, body);
    await this.checkEgress(body.baseUrl);
    const id = randomUUID();
    const now = new Date();
    const entity = Object.assign(new ProviderConnectionEntity(), {
      id,
      name: body.name,
      kind: body.kind,
      baseUrl: body.baseUrl,
      description: body.description ?? null,
      teams: body.teams.includes(ALL_TEAMS) ? [ALL_TEAMS] : [...new Set(body.teams)],
      headers: body.headers ?? {},
      secretHeader: body.secretHeader ?? null,
      secretSealed: body.secret ? this.box.seal(body.secret, `connection:${id}`) : null,
      revision: 1,
      createdBy: context.actor.id,
      createdAt: now,
      updatedAt: now,
    });
    return this.uow.write(async (m) => {
      await this.checkTeams(m, entity.teams);
      try {
        await m.insert(ProviderConnectionEntity, entity);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new DomainError('conflict', `A connection named ${body.name} already exists.`, [
            { field: 'name', message: 'is taken', code: 'taken' },
          ]);
        }
        throw error;
      }
      const view = (await this.views(m, [entity]))[0];
      await this.audit.record(m, context, {
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
    return this.uow.write(async (m) => {
      const entity = await m.findOne(ProviderConnectionEntity, { where: { name }, lock: this.uow.forUpdate });
      if (!entity) {
        throw DomainError.notFound('The connection');
      }
      const before = (await this.views(m, [entity]))[0];
      const kind = body.kind ?? entity.kind;
      this.checkShape(kind, {
        headers: body.headers ?? entity.headers,
        secretHeader: body.secretHeader === undefined ? entity.secretHeader : body.secretHeader,
      });
      if (body.teams) {
        await this.checkTeams(m, body.teams);
      }
      Object.assign(entity, {
        kind,
        baseUrl: body.baseUrl ?? entity.baseUrl,
        description: body.description === undefined ? entity.description : body.description,
        teams: body.teams
          ? body.teams.includes(ALL_TEAMS)
            ? [ALL_TEAMS]
            : [...new Set(body.teams)]
          : entity.teams,
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
      await m.save(ProviderConnectionEntity, entity);
      const after = (await this.views(m, [entity]))[0];
      await this.audit.record(m, context, {
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
    await this.uow.write(async (m) => {
      const entity = await m.findOneBy(ProviderConnectionEntity, { name });
      if (!entity) {
        throw DomainError.notFound('The connection');
      }
      const before = (await this.views(m, [entity]))[0];
      await m.delete(ProviderConnectionEntity, { id: entity.id });
      await this.audit.record(m, context, {
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
   * use (and every module from the operator's folder). A connection the team may not use answers like
   * one that does not exist.
   */
  async assertUsable(
    m: EntityManager,
    teamId: string | null,
    actor: Actor,
    target: TargetConfig,
    scorers: readonly ScorerConfig[],
  ): Promise<void> {
    const problems: FieldProblem[] = platformProblems(target, scorers, new Set(this.network.modules.keys()));
    const used = connectionsUsed(target, scorers);
    if (used.length > 0) {
      const rows = await m.findBy(ProviderConnectionEntity, {
        name: In([...new Set(used.map((u) => u.name))]),
      });
      const byName = new Map(rows.map((row) => [row.name, row]));
      for (const use of used) {
        const row = byName.get(use.name);
        if (!row || !mayUse(actor, teamId, row)) {
          problems.push({
            field: use.field,
            message: `${use.name} is not a connection your team may use (GET /v1/connections lists them)`,
            code: 'unknown_reference',
          });
        } else if (row.kind !== use.kind) {
          problems.push({
            field: use.field,
            message: `${use.name} is an ${row.kind} connection; this needs an ${use.kind} one`,
            code: 'wrong_kind',
          });
        }
      }
    }
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
    const rows = await this.uow.read((m) =>
      m.findBy(ProviderConnectionEntity, { name: In([...new Set(names)]) }),
    );
    return new Map(rows.map((row) => [row.name, this.resolved(row)]));
  }

  private resolved(row: ProviderConnectionEntity): ResolvedConnection {
    let secret: string | undefined;
    try {
      secret = row.secretSealed ? this.box.open(row.secretSealed, `connection:${row.id}`) : undefined;
    } catch (error) {
      // A configuration problem an operator fixes, never retried: say which connection and why.
      throw new EvalsError(
        `the secret of connection ${row.name} cannot be opened: ${(error as Error).message}`,
      );
    }
    const headers = { ...row.headers };
    if (row.kind === 'http' && secret !== undefined) {
      const header = row.secretHeader ?? 'authorization';
      headers[header] = header.toLowerCase() === 'authorization' ? `Bearer ${secret}` : secret;
    }
    return {
      name: row.name,
      kind: row.kind,
      baseUrl: row.baseUrl,
      apiKey: row.kind === 'openai' ? secret : undefined,
      headers,
    };
  }

  private checkShape(
    kind: 'openai' | 'http',
    body: { headers?: Record<string, string>; secretHeader?: string | null },
  ): void {
    if (kind === 'openai' && body.secretHeader) {
      throw DomainError.validation([
        {
          field: 'secretHeader',
          message: 'goes with http connections: an openai connection sends its secret as the bearer key',
          code: 'invalid',
        },
      ]);
    }
    if (Object.keys(body.headers ?? {}).length > 20) {
      throw DomainError.validation([
        { field: 'headers', message: 'may have at most 20 entries', code: 'too_big' },
      ]);
    }
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

  private async checkTeams(m: EntityManager, teams: string[]): Promise<void> {
    const ids = teams.filter((t) => t !== ALL_TEAMS);
    if (ids.length === 0) {
      return;
    }
    const found = new Set((await m.findBy(TeamEntity, { id: In(ids) })).map((t) => t.id));
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

  private async views(m: EntityManager, rows: ProviderConnectionEntity[]): Promise<ConnectionView[]> {
    const ids = [...new Set(rows.flatMap((row) => row.teams.filter((t) => t !== ALL_TEAMS)))];
    const names = new Map(
      ids.length ? (await m.findBy(TeamEntity, { id: In(ids) })).map((t) => [t.id, t.name]) : [],
    );
    return rows.map((row) => ({
      name: row.name,
      kind: row.kind,
      baseUrl: row.baseUrl,
      description: row.description,
      teams: row.teams.includes(ALL_TEAMS)
        ? [ALL_TEAMS]
        : row.teams.map((id) => ({ id, name: names.get(id) ?? '(removed team)' })),
      headerNames: Object.keys(row.headers).sort(),
      hasSecret: row.secretSealed !== null,
      secretHeader: row.kind === 'http' && row.secretSealed ? (row.secretHeader ?? 'authorization') : null,
      revision: row.revision,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    }));
  }
}

/** Admins may use every connection; a team member those shared with every team or with their team. */
function mayUse(actor: Actor, teamId: string | null, row: ProviderConnectionEntity): boolean {
  return (
    hasRole(actor, 'admin') ||
    row.teams.includes(ALL_TEAMS) ||
    (teamId !== null && row.teams.includes(teamId))
  );
}

function auditable(view: ConnectionView): Record<string, unknown> {
  return {
    name: view.name,
    kind: view.kind,
    baseUrl: view.baseUrl,
    teams: view.teams,
    headerNames: view.headerNames,
    hasSecret: view.hasSecret,
    revision: view.revision,
  };
}
