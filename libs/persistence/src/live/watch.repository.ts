import { type UnitOfWork } from '../unit-of-work';

/** Watch alerts, the under-change/under-review marks, and the retention purge (built by the watch work). */
export class WatchRepository {
  constructor(protected readonly uow: UnitOfWork) {}
}
