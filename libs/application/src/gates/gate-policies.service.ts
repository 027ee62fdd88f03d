import {
  canonicalJson,
  DEFAULT_GATE_POLICY,
  DomainError,
  type GatePolicyDocument,
  hasRole,
  sha256Hex,
} from '@gatehouse/domain';
import { GatePolicyEntity, GatePolicyRepository, type Tx, UnitOfWork } from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { type RequestContext } from '../request-context';
import { zodProblems } from '../validation/zod-problems';
import { gatePolicyDocumentSchema } from './gate-policy.schema';
import { type GatePolicyView, toGatePolicyView } from './gate.views';
import { RefusalAudit } from './refusals-audited';

/** Advisory lock key for seeding the first policy version (any stable 32-bit number). */
const POLICY_SEED_LOCK = 0x6761_7465;

/** Versioned gate policies: seeded from the shipped defaults, then published by admins as new versions. */
@Injectable()
export class GatePoliciesService {
  private readonly logger = new Logger(GatePoliciesService.name);
  private policySeeded = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly policies: GatePolicyRepository,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAudit,
  ) {}

  async list(): Promise<GatePolicyView[]> {
    await this.ensureSeeded();
    return this.uow.read(async (tx) => {
      const rows = await this.policies.list(tx);
      const current = rows[0]?.version ?? 0;
      return rows.map((row) => toGatePolicyView(row, current));
    });
  }

  async get(version: number): Promise<GatePolicyView> {
    await this.ensureSeeded();
    return this.uow.read(async (tx) => {
      const row = await this.policies.byVersion(tx, version);
      if (!row) {
        throw DomainError.notFound(`Gate policy version ${version}`);
      }
      return toGatePolicyView(row, await this.policies.currentVersion(tx));
    });
  }

  /** Admins publish a new policy version (never an edit); every open evaluation stops counting. */
  async create(context: RequestContext, body: unknown): Promise<GatePolicyView> {
    await this.ensureSeeded();
    const attempt = { attempted: 'gate_policy.create', subjectType: 'gate_policy', subjectId: 'new' };
    try {
      if (!hasRole(context.actor, 'admin')) {
        throw DomainError.forbidden('Only admins publish gate policies.', 'role_admin');
      }
      const parsed = gatePolicyDocumentSchema.safeParse(body);
      if (!parsed.success) {
        throw DomainError.validation(zodProblems(parsed.error), 'The gate policy is not valid.');
      }
      const document = parsed.data as GatePolicyDocument;
      return this.uow.writeExclusive(POLICY_SEED_LOCK, async (tx) => {
        const previous = await this.policies.latest(tx);
        const row = await this.insert(tx, document, (previous?.version ?? 0) + 1, context.actor.id);
        await this.audit.record(tx, context, {
          action: 'gate_policy.created',
          subjectType: 'gate_policy',
          subjectId: row.id,
          before: previous ? { version: previous.version, sha256: previous.sha256 } : undefined,
          after: { version: row.version, sha256: row.sha256, document },
        });
        return toGatePolicyView(row, row.version);
      });
    } catch (error) {
      await this.refusals.record(context, attempt, error);
      throw error;
    }
  }

  /** Seeds version 1 from the shipped defaults once, whichever replica gets there first. */
  async ensureSeeded(): Promise<void> {
    if (this.policySeeded) {
      return;
    }
    const exists = await this.uow.read((tx) => this.policies.any(tx));
    if (!exists) {
      await this.uow.writeExclusive(POLICY_SEED_LOCK, async (tx) => {
        if (await this.policies.any(tx)) {
          return;
        }
        const row = await this.insert(tx, DEFAULT_GATE_POLICY, 1, 'system');
        await this.audit.record(
          tx,
          { actor: { id: 'system', name: 'Gatehouse', teamId: null, roles: [] }, requestId: null },
          {
            action: 'gate_policy.created',
            subjectType: 'gate_policy',
            subjectId: row.id,
            after: { version: 1, sha256: row.sha256, seeded: 'the shipped defaults' },
          },
        );
        this.logger.log('Seeded gate policy version 1 from the shipped defaults.');
      });
    }
    this.policySeeded = true;
  }

  private async insert(
    tx: Tx,
    document: GatePolicyDocument,
    version: number,
    createdBy: string,
  ): Promise<GatePolicyEntity> {
    const row = Object.assign(new GatePolicyEntity(), {
      id: randomUUID(),
      version,
      document,
      sha256: sha256Hex(canonicalJson(document)),
      createdBy,
      createdAt: new Date(),
    });
    await this.policies.insert(tx, row);
    return row;
  }
}
