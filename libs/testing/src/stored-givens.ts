import { DatasetEntity, SuiteEntity, type UnitOfWork } from '@gatehouse/persistence';
import { randomUUID } from 'node:crypto';

/**
 * An empty dataset and a suite on it, stored directly (no API): what service-level tests of the run
 * machinery (result writer, reconciler) need a run row to point at. Returns the suite's id.
 */
export async function insertEmptySuite(uow: UnitOfWork, name: string): Promise<string> {
  const now = new Date();
  const datasetId = randomUUID();
  const suiteId = randomUUID();
  await uow.write(async (m) => {
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
