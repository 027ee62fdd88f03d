import { type UnitOfWork } from '../unit-of-work';

/** Writes of the ingest path: live interactions and feedback, in bulk, idempotently (built by the ingest work). */
export class LiveIngestRepository {
  constructor(protected readonly uow: UnitOfWork) {}
}
