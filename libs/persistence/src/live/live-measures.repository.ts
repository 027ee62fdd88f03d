import { type UnitOfWork } from '../unit-of-work';

/** Reads for online scoring and the derived pilot measures; writes of live scores (built by the scoring work). */
export class LiveMeasuresRepository {
  constructor(protected readonly uow: UnitOfWork) {}
}
