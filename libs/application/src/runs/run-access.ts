import { type Actor, assertCanViewAiUseCase, DomainError } from '@gatehouse/domain';
import {
  type EvaluationRunEntity,
  type RunRepository,
  type RunUseCaseOwner,
  type Tx,
} from '@gatehouse/persistence';

/**
 * A run as the actor may see it, with its suite and its use case's owner: a run that does not exist is
 * not found, and so is a run that is evidence for another team's draft use case.
 */
export async function loadVisibleRun(
  runs: RunRepository,
  tx: Tx,
  actor: Actor,
  id: string,
  forUpdate = false,
): Promise<{ run: EvaluationRunEntity; useCase: RunUseCaseOwner | null }> {
  const found = await runs.getWithOwner(tx, id, forUpdate);
  if (!found) {
    throw DomainError.notFound('The run');
  }
  if (found.useCase) {
    assertCanViewAiUseCase(actor, found.useCase);
  }
  return found;
}
