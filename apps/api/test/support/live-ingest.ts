import { hashIngestToken } from '@gatehouse/application';
import { type LiveSettings } from '@gatehouse/domain';
import { AiUseCaseEntity, IngestTokenEntity, managerOf, UnitOfWork } from '@gatehouse/persistence';
import { aiUseCaseRow } from '@gatehouse/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { givenLiveSettings } from './live';
import { type TestApi } from './test-api';

/**
 * Givens for the live ingest specs: a use case stored at a stage with its live settings, and ingest tokens
 * stored as the token routes store them (the sha256 only), so the ingest specs do not depend on those routes.
 */

export interface LiveUseCase {
  id: string;
  /** A live ingest token of the use case. */
  token: string;
}

/** A use case of `teamId` at `stage` with these live settings (defaults for the rest) and one ingest token. */
export async function givenLiveUseCase(
  api: TestApi,
  teamId: string,
  options: {
    stage?: AiUseCaseEntity['stage'];
    targetHash?: string | null;
    settings?: Partial<LiveSettings>;
  } = {},
): Promise<LiveUseCase> {
  const row = aiUseCaseRow(teamId, {
    stage: options.stage ?? 'learn',
    targetHash: options.targetHash ?? null,
  });
  await api.app.get(UnitOfWork).write((tx) => managerOf(tx).insert(AiUseCaseEntity, row));
  if (options.settings) {
    await givenLiveSettings(api, row.id, options.settings);
  }
  return { id: row.id, token: await givenIngestToken(api, row.id) };
}

/** A new ingest token of the use case, stored by its sha256 as the token routes do; `revoked` stores it revoked. */
export async function givenIngestToken(api: TestApi, aiUseCaseId: string, revoked = false): Promise<string> {
  const token = `ghi_${randomBytes(24).toString('base64url')}`;
  await api.app.get(UnitOfWork).write((tx) =>
    managerOf(tx).insert(IngestTokenEntity, {
      id: randomUUID(),
      aiUseCaseId,
      name: 'test service',
      tokenHash: hashIngestToken(token),
      displayPrefix: token.slice(0, 8),
      createdBy: 'test',
      createdAt: new Date(),
      revokedAt: revoked ? new Date() : null,
    }),
  );
  return token;
}

/** Moves a stored use case to another stage (as a promotion or retirement would). */
export async function moveUseCase(api: TestApi, id: string, stage: AiUseCaseEntity['stage']): Promise<void> {
  await api.app.get(UnitOfWork).write((tx) => managerOf(tx).update(AiUseCaseEntity, { id }, { stage }));
}
