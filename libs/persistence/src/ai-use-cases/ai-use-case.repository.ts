import { type UnitOfWork } from '../unit-of-work';

/** TODO(#12): statements move here from the application services. */
export class AiUseCaseRepository {
  constructor(protected readonly uow: UnitOfWork) {}
}
