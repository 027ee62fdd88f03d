import { type UnitOfWork } from '../unit-of-work';

/** TODO(#12): statements move here from the application services. */
export class RunRepository {
  constructor(protected readonly uow: UnitOfWork) {}
}
