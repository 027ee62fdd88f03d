import { In } from 'typeorm';
import { PilotObservationEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** Pilot observations as the gate counts them. */
export type PilotCounts = Pick<
  PilotObservationEntity,
  'id' | 'cases' | 'overrides' | 'undone' | 'complaints' | 'incidents'
>;

/** What pilots showed, period by period (only ever added). */
export class PilotObservationRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  async insert(tx: Tx, row: PilotObservationEntity): Promise<void> {
    await managerOf(tx).insert(PilotObservationEntity, row);
  }

  /** The use case's observations in period order. */
  list(tx: Tx, useCaseId: string): Promise<PilotObservationEntity[]> {
    return managerOf(tx).find(PilotObservationEntity, {
      where: { aiUseCaseId: useCaseId },
      order: { periodStart: 'ASC', createdAt: 'ASC' },
    });
  }

  /** The use case's observations, only the columns the gate counts, by id. */
  counts(tx: Tx, useCaseId: string): Promise<PilotCounts[]> {
    return managerOf(tx).find(PilotObservationEntity, {
      where: { aiUseCaseId: useCaseId },
      select: { id: true, cases: true, overrides: true, undone: true, complaints: true, incidents: true },
      order: { id: 'ASC' },
    });
  }

  byIds(tx: Tx, ids: string[]): Promise<PilotObservationEntity[]> {
    return ids.length ? managerOf(tx).findBy(PilotObservationEntity, { id: In(ids) }) : Promise.resolve([]);
  }
}
