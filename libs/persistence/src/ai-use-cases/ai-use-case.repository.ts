import { type RiskTier, type Stage } from '@gatehouse/domain';
import { AiUseCaseEntity, AiUseCaseRevisionEntity, TeamEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

export interface AiUseCasePageFilter {
  /** Only use cases this team owns, or any team's past the proposed stage (the SQL form of canViewAiUseCase). */
  visibleToTeam?: string;
  stage?: Stage;
  riskTier?: RiskTier;
  teamId?: string;
  limit: number;
  offset: number;
}

/** A revision row as written: one per change of a use case, never updated. */
export type AiUseCaseRevisionRow = Omit<AiUseCaseRevisionEntity, 'aiUseCase'>;

/** AI use cases and their revision history. */
export class AiUseCaseRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * The use case with its owning team loaded (`ownerTeam`), or null; `forUpdate` locks the row for a
   * read-modify-write inside `write`.
   */
  async findWithTeam(tx: Tx, id: string, forUpdate = false): Promise<AiUseCaseEntity | null> {
    const m = managerOf(tx);
    const entity = await m.findOne(AiUseCaseEntity, {
      where: { id },
      lock: forUpdate ? this.uow.forUpdate : undefined,
    });
    if (entity) {
      entity.ownerTeam = (await m.findOneBy(TeamEntity, { id: entity.ownerTeamId })) ?? undefined;
    }
    return entity;
  }

  /** Whether any use case is registered. */
  async any(tx: Tx): Promise<boolean> {
    return (await managerOf(tx).count(AiUseCaseEntity)) > 0;
  }

  /** A page of use cases, most recently changed first, with their owning teams, and how many match. */
  page(filter: AiUseCasePageFilter): Promise<{ items: AiUseCaseEntity[]; total: number }> {
    return this.uow.read(async (tx) => {
      const query = managerOf(tx)
        .getRepository(AiUseCaseEntity)
        .createQueryBuilder('uc')
        .innerJoinAndSelect('uc.ownerTeam', 'team');
      if (filter.visibleToTeam !== undefined) {
        query.andWhere("(uc.owner_team_id = :ownTeam OR uc.stage <> 'proposed')", {
          ownTeam: filter.visibleToTeam,
        });
      }
      if (filter.stage) {
        query.andWhere('uc.stage = :stage', { stage: filter.stage });
      }
      if (filter.riskTier) {
        query.andWhere('uc.risk_tier = :riskTier', { riskTier: filter.riskTier });
      }
      if (filter.teamId) {
        query.andWhere('uc.owner_team_id = :teamId', { teamId: filter.teamId });
      }
      const [items, total] = await query
        .orderBy('uc.updated_at', 'DESC')
        .addOrderBy('uc.id', 'ASC')
        .take(filter.limit)
        .skip(filter.offset)
        .getManyAndCount();
      return { items, total };
    });
  }

  async insert(tx: Tx, entity: AiUseCaseEntity): Promise<void> {
    await managerOf(tx).insert(AiUseCaseEntity, entity);
  }

  /** Writes what a change may touch: the record, its classification, the target and the revision. */
  async saveState(tx: Tx, entity: AiUseCaseEntity): Promise<void> {
    await managerOf(tx).update(AiUseCaseEntity, { id: entity.id }, {
      name: entity.name,
      record: entity.record,
      derivedRiskTier: entity.derivedRiskTier,
      riskTier: entity.riskTier,
      riskTierOverride: entity.riskTierOverride,
      revision: entity.revision,
      targetConfig: entity.targetConfig,
      targetHash: entity.targetHash,
      targetCassettes: entity.targetCassettes,
      underChangeSince: entity.underChangeSince,
      updatedAt: entity.updatedAt,
    } as never);
  }

  async insertRevision(tx: Tx, revision: AiUseCaseRevisionRow): Promise<void> {
    await managerOf(tx).insert(AiUseCaseRevisionEntity, revision as never);
  }

  /** A use case's revisions, newest first. */
  revisionsOf(tx: Tx, aiUseCaseId: string): Promise<AiUseCaseRevisionEntity[]> {
    return managerOf(tx).find(AiUseCaseRevisionEntity, {
      where: { aiUseCaseId },
      order: { revision: 'DESC' },
    });
  }
}
