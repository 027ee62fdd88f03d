import { exampleLowRiskRecord } from '@gatehouse/domain';
import {
  AiUseCaseEntity,
  DatasetEntity,
  EvaluationRunEntity,
  managerOf,
  SuiteEntity,
  type UnitOfWork,
} from '@gatehouse/persistence';
import { randomUUID } from 'node:crypto';

/**
 * An empty dataset and a suite on it, stored directly (no API): what service-level tests of the run
 * machinery (result writer, reconciler) need a run row to point at. Returns the suite's id.
 */
export async function insertEmptySuite(uow: UnitOfWork, name: string): Promise<string> {
  const now = new Date();
  const datasetId = randomUUID();
  const suiteId = randomUUID();
  await uow.write(async (tx) => {
    const m = managerOf(tx);
    await m.insert(DatasetEntity, {
      id: datasetId,
      name,
      version: 1,
      sha256: '0'.repeat(64),
      itemCount: 0,
      manifest: {},
      createdBy: 'test',
      createdAt: now,
    });
    await m.insert(SuiteEntity, {
      id: suiteId,
      name,
      version: 1,
      sha256: '0'.repeat(64),
      definition: {},
      source: '',
      datasetId,
      createdBy: 'test',
      createdAt: now,
    });
  });
  return suiteId;
}

/**
 * A run's row with every column set, for tests that store runs directly (`m.insert(EvaluationRunEntity,
 * runRow(suiteId, { status: 'aggregating' }))`): running, 10 items, none done, no use case, started now.
 * `overrides` say what the test is about.
 */
export function runRow(suiteId: string, overrides: Partial<EvaluationRunEntity> = {}): EvaluationRunEntity {
  const now = overrides.createdAt ?? new Date();
  return Object.assign(
    new EvaluationRunEntity(),
    {
      id: randomUUID(),
      suiteId,
      aiUseCaseId: null,
      baselineRunId: null,
      status: 'running',
      targetConfig: {},
      targetHash: '0'.repeat(64),
      provider: 'stub',
      total: 10,
      completed: 0,
      failed: 0,
      errored: 0,
      rateLimitPauses: 0,
      rateLimitedMs: 0,
      manifest: {},
      report: null,
      outcome: null,
      error: null,
      createdBy: 'test',
      createdAt: now,
      startedAt: now,
      completedAt: null,
      cancelledAt: null,
      updatedAt: now,
    } satisfies EvaluationRunEntity,
    overrides,
  );
}

/**
 * An AI use case's row with every column set, for tests that store use cases directly: the low-risk
 * example record at `proposed`, revision 1, no target. `overrides` say what the test is about.
 */
export function aiUseCaseRow(ownerTeamId: string, overrides: Partial<AiUseCaseEntity> = {}): AiUseCaseEntity {
  const now = overrides.createdAt ?? new Date();
  const id = overrides.id ?? randomUUID();
  return Object.assign(
    new AiUseCaseEntity(),
    {
      id,
      ownerTeamId,
      name: `use case ${id}`,
      stage: 'proposed',
      derivedRiskTier: 'low',
      riskTier: 'low',
      riskTierOverride: null,
      revision: 1,
      record: exampleLowRiskRecord(),
      targetConfig: null,
      targetHash: null,
      targetCassettes: null,
      underChangeSince: null,
      underReviewSince: null,
      createdBy: 'test',
      createdAt: now,
      updatedAt: now,
    } satisfies AiUseCaseEntity,
    overrides,
  );
}
