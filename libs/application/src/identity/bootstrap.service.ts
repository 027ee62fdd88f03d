import { type GatehouseConfig } from '@gatehouse/config';
import { describeToken, hashApiToken, issueApiToken, SYSTEM_ACTOR } from '@gatehouse/domain';
import {
  AiUseCaseRepository,
  ApiTokenRepository,
  TeamRepository,
  type Tx,
  UnitOfWork,
  UserRepository,
} from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { AiUseCasesService } from '../ai-use-cases/ai-use-cases.service';
import { InjectConfig } from '../gatehouse-config.module';
import { EvalsImportService, type ImportSummary } from '../registry/evals-import.service';
import { type RequestContext } from '../request-context';
import { DEMO_TEAMS, DEMO_USERS, demoAiUseCaseRecord } from './demo-data';
import { IdentityService } from './identity.service';

export interface BootstrapOutcome {
  /** Set when this start created the first admin. */
  admin: { userId: string; name: string; tokenFromEnvironment: boolean; token: string | null } | null;
  /** Demo users created by this start, with their one-time tokens. */
  demoUsers: { name: string; roles: string[]; team: string; token: string }[];
  /** What the embedded start imported from the examples folder (datasets, cassettes, suites). */
  examples: ImportSummary | null;
}

const BOOTSTRAP_LOCK = 724_203;
const system: RequestContext = { actor: SYSTEM_ACTOR, requestId: null };

/**
 * First start: creates the first admin (with GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN, or a one-time token the
 * caller prints) and, in the embedded quick start, an example organisation and AI use case.
 */
@Injectable()
export class BootstrapService {
  private readonly logger = new Logger(BootstrapService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly teams: TeamRepository,
    private readonly users: UserRepository,
    private readonly tokens: ApiTokenRepository,
    private readonly useCases: AiUseCaseRepository,
    private readonly identity: IdentityService,
    private readonly aiUseCases: AiUseCasesService,
    private readonly evalsImport: EvalsImportService,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  async run(): Promise<BootstrapOutcome> {
    const admin = await this.uow.writeExclusive(BOOTSTRAP_LOCK, (tx) => this.ensureAdmin(tx));
    const demoUsers = this.config.seedExamples ? await this.seedExamples() : [];
    // Idempotent by content hash: each start adds what is new in evals/ and leaves the rest alone.
    const examples =
      this.config.seedExamples && existsSync(this.config.runs.evalsDir)
        ? await this.evalsImport.importDirectory(this.config.runs.evalsDir)
        : null;
    return { admin, demoUsers, examples };
  }

  private async ensureAdmin(tx: Tx): Promise<BootstrapOutcome['admin']> {
    const envToken = this.config.bootstrapAdminToken;
    if ((await this.users.activeAdminCount(tx)) > 0) {
      if (envToken && !(await this.tokens.existsWithHash(tx, hashApiToken(envToken.reveal())))) {
        this.logger.warn('GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN is ignored: an admin already exists.');
      }
      return null;
    }
    const team =
      (await this.teams.findByName(tx, 'Platform')) ??
      (await this.identity.insertTeam(tx, system, {
        name: 'Platform',
        description: 'Runs Gatehouse itself.',
      }));
    const user = await this.identity.insertUser(tx, system, {
      name: 'Administrator',
      teamId: team.id,
      roles: ['admin'],
    });
    const issued = envToken ? describeToken(envToken.reveal()) : issueApiToken();
    await this.identity.storeToken(tx, system, user.id, { name: 'bootstrap' }, issued);
    return {
      userId: user.id,
      name: user.name,
      tokenFromEnvironment: Boolean(envToken),
      token: envToken ? null : issued.token,
    };
  }

  /** Only into an empty register: an existing installation is never touched. */
  private async seedExamples(): Promise<BootstrapOutcome['demoUsers']> {
    const seeded = await this.uow.writeExclusive(BOOTSTRAP_LOCK, async (tx) => {
      if ((await this.useCases.any(tx)) || (await this.teams.existsNamed(tx, DEMO_TEAMS[0].name))) {
        return null;
      }
      const teams = new Map<string, string>();
      for (const team of DEMO_TEAMS) {
        teams.set(
          team.key,
          (await this.identity.insertTeam(tx, system, { name: team.name, description: team.description })).id,
        );
      }
      const users = [];
      for (const demo of DEMO_USERS) {
        const user = await this.identity.insertUser(tx, system, {
          name: demo.name,
          email: demo.email,
          teamId: teams.get(demo.team),
          roles: demo.roles,
        });
        const token = await this.identity.storeToken(tx, system, user.id, { name: 'demo' }, issueApiToken());
        users.push({
          id: user.id,
          name: user.name,
          roles: demo.roles,
          team: user.team?.name ?? '',
          teamId: user.team?.id ?? null,
          token: token.token,
        });
      }
      return users;
    });
    if (!seeded) {
      return [];
    }
    const owner = seeded.find((u) => u.roles.includes('service_team'));
    if (owner) {
      const actor = { id: owner.id, name: owner.name, teamId: owner.teamId, roles: owner.roles as never };
      await this.aiUseCases.register({ actor, requestId: null }, { record: demoAiUseCaseRecord() });
    }
    this.logger.log(`Seeded the example organisation: ${seeded.length} users and one AI use case.`);
    return seeded.map(({ name, roles, team, token }) => ({ name, roles, team, token }));
  }
}
