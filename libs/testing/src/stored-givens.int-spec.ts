import {
  AiUseCaseEntity,
  EvaluationRunEntity,
  readWith,
  TeamEntity,
  writeWith,
} from '@gatehouse/persistence';
import { randomUUID } from 'node:crypto';
import { describeIntegration } from './describe-integration';
import { aiUseCaseRow, insertEmptySuite, runRow } from './stored-givens';
import { useTestDataSource } from './test-database';

/** The stored givens are rows the migrated schema takes as they are: a new column without a default shows here. */
describeIntegration('stored givens', () => {
  const db = useTestDataSource();

  it('stores a use case and a run of it with every column as given', async () => {
    const teamId = randomUUID();
    await writeWith(db.uow, (m) =>
      m.insert(TeamEntity, { id: teamId, name: 'Givens', createdAt: new Date() }),
    );
    const useCase = aiUseCaseRow(teamId, { stage: 'test' });
    const run = runRow(await insertEmptySuite(db.uow, 'givens'), {
      aiUseCaseId: useCase.id,
      status: 'aggregating',
    });
    await writeWith(db.uow, async (m) => {
      await m.insert(AiUseCaseEntity, useCase);
      await m.insert(EvaluationRunEntity, run);
    });
    const stored = await readWith(db.uow, (m) => m.findOneByOrFail(EvaluationRunEntity, { id: run.id }));
    expect(stored).toMatchObject({ aiUseCaseId: useCase.id, status: 'aggregating', total: 10, completed: 0 });
    expect(
      await readWith(db.uow, (m) => m.findOneByOrFail(AiUseCaseEntity, { id: useCase.id })),
    ).toMatchObject({
      ownerTeamId: teamId,
      stage: 'test',
      revision: 1,
      record: useCase.record,
    });
  });
});
