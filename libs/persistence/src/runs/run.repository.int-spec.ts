import { type RunStatus, type Stage, type StoredManifest } from '@gatehouse/domain';
import {
  aiUseCaseRow,
  describeIntegration,
  insertEmptySuite,
  runRow,
  useTestDataSource,
} from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { AiUseCaseEntity, EvaluationRunEntity, RunResultEntity, TeamEntity } from '../entities';
import { RunRepository } from './run.repository';

describeIntegration('RunRepository (the API side of runs)', () => {
  const db = useTestDataSource();
  let sut: RunRepository;
  let suiteId: string;

  beforeAll(async () => {
    sut = new RunRepository(db.uow);
    suiteId = await insertEmptySuite(db.uow, 'run-repository');
  });

  async function givenUseCase(stage: Stage): Promise<{ id: string; teamId: string }> {
    const teamId = randomUUID();
    const now = new Date();
    await db.dataSource
      .getRepository(TeamEntity)
      .insert({ id: teamId, name: `team ${teamId}`, createdAt: now });
    const useCase = aiUseCaseRow(teamId, { stage, createdAt: now });
    await db.dataSource.getRepository(AiUseCaseEntity).insert(useCase);
    return { id: useCase.id, teamId };
  }

  async function givenRun(
    options: { status?: RunStatus; aiUseCaseId?: string; createdAt?: Date } = {},
  ): Promise<string> {
    const run = runRow(suiteId, {
      status: options.status ?? 'running',
      aiUseCaseId: options.aiUseCaseId ?? null,
      createdAt: options.createdAt ?? new Date(),
    });
    await db.dataSource.getRepository(EvaluationRunEntity).insert(run);
    return run.id;
  }

  async function givenResults(
    runId: string,
    rows: {
      seq: number;
      epoch?: number;
      groups: Record<string, string>;
      failed?: boolean;
      errored?: boolean;
    }[],
  ): Promise<void> {
    await db.dataSource.getRepository(RunResultEntity).insert(
      rows.map((row) => ({
        id: randomUUID(),
        runId,
        itemId: `item-${row.seq}`,
        seq: row.seq,
        epoch: row.epoch ?? 1,
        status: row.errored ? 'errored' : 'scored',
        anyFailed: row.failed ?? false,
        output: row.errored ? null : 'answer',
        scores: row.errored ? {} : { exact: { value: row.failed ? 0 : 1, passed: !row.failed } },
        error: row.errored ? { kind: 'timeout', message: 'no answer' } : null,
        groups: row.groups,
        latencyMs: 1,
        durationMs: 1,
        queueWaitMs: 0,
        attempts: 1,
        inputTokens: null,
        outputTokens: null,
        costUsd: null,
        worker: 'w1',
        createdAt: new Date(),
      })),
    );
  }

  const page = (runId: string, filter: Parameters<RunRepository['results']>[2]) =>
    db.uow.read((tx) => sut.results(tx, runId, filter));
  const items = async (runId: string, filter: Parameters<RunRepository['results']>[2]) =>
    (await page(runId, filter)).items.map((row) => `${row.itemId}/${row.epoch}`);

  describe('results', () => {
    let runId: string;

    beforeAll(async () => {
      runId = await givenRun();
      await givenResults(runId, [
        { seq: 3, groups: { 'age band': '65+', region: 'north:east' }, failed: true },
        { seq: 1, epoch: 2, groups: { 'age band': 'under-65', region: 'south' } },
        { seq: 1, groups: { 'age band': 'under-65', region: 'south' } },
        { seq: 2, groups: { 'age band': '65+', 'a.b': 'dotted' }, errored: true },
      ]);
    });

    it('pages rows in dataset order, then epoch, with the typed JSON columns', async () => {
      const first = await page(runId, { limit: 2, offset: 0 });
      expect(first.total).toBe(4);
      expect(first.items.map((row) => `${row.itemId}/${row.epoch}`)).toEqual(['item-1/1', 'item-1/2']);
      expect(first.items[0]).toMatchObject({
        scores: { exact: { value: 1, passed: true } },
        groups: { 'age band': 'under-65', region: 'south' },
        error: null,
      });
      expect(await items(runId, { limit: 2, offset: 2 })).toEqual(['item-2/1', 'item-3/1']);
    });

    it('filters failed (any scorer failed) and errored rows', async () => {
      expect(await items(runId, { status: 'failed', limit: 10, offset: 0 })).toEqual(['item-3/1']);
      expect(await items(runId, { status: 'errored', limit: 10, offset: 0 })).toEqual(['item-2/1']);
      expect((await page(runId, { status: 'errored', limit: 10, offset: 0 })).items[0].error).toEqual({
        kind: 'timeout',
        message: 'no answer',
      });
    });

    it('filters by a group attribute, the same on either driver', async () => {
      const byGroup = (key: string, value: string) =>
        items(runId, { group: { key, value }, limit: 10, offset: 0 });
      expect(await byGroup('age band', '65+')).toEqual(['item-2/1', 'item-3/1']);
      expect(await byGroup('region', 'north:east')).toEqual(['item-3/1']);
      expect(await byGroup('a.b', 'dotted')).toEqual(['item-2/1']);
      expect(await byGroup('region', 'nowhere')).toEqual([]);
      expect(await byGroup('missing', '65+')).toEqual([]);
      expect(
        (
          await page(runId, {
            status: 'failed',
            group: { key: 'age band', value: '65+' },
            limit: 10,
            offset: 0,
          })
        ).total,
      ).toBe(1);
    });
  });

  describe('list', () => {
    let draft: { id: string; teamId: string };
    let live: { id: string; teamId: string };
    let runs: { draft: string; live: string; loose: string; done: string };

    beforeAll(async () => {
      draft = await givenUseCase('proposed');
      live = await givenUseCase('test');
      const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 0, minutes));
      runs = {
        draft: await givenRun({ aiUseCaseId: draft.id, createdAt: at(1) }),
        live: await givenRun({ aiUseCaseId: live.id, createdAt: at(2) }),
        loose: await givenRun({ createdAt: at(3) }),
        done: await givenRun({ aiUseCaseId: live.id, status: 'completed', createdAt: at(4) }),
      };
    });

    const list = (filter: Partial<Parameters<RunRepository['list']>[1]>) =>
      db.uow.read(async (tx) => {
        const found = await sut.list(tx, { limit: 100, offset: 0, ...filter });
        const ours = new Set(Object.values(runs));
        return found.items.filter((run) => ours.has(run.id)).map((run) => run.id);
      });

    it('lists newest first with the suite, filtered by use case and status', async () => {
      expect(await list({})).toEqual([runs.done, runs.loose, runs.live, runs.draft]);
      expect(await list({ aiUseCaseId: live.id })).toEqual([runs.done, runs.live]);
      expect(await list({ aiUseCaseId: live.id, status: 'completed' })).toEqual([runs.done]);
      const { items } = await db.uow.read((tx) => sut.list(tx, { limit: 1, offset: 0 }));
      expect(items[0].suite).toMatchObject({ id: suiteId, name: 'run-repository' });
    });

    it("hides runs of another team's draft use case, not the owning team's", async () => {
      expect(await list({ hideDraftsOfOtherTeamsThan: live.teamId })).toEqual([
        runs.done,
        runs.loose,
        runs.live,
      ]);
      expect(await list({ hideDraftsOfOtherTeamsThan: null })).toEqual([runs.done, runs.loose, runs.live]);
      expect(await list({ hideDraftsOfOtherTeamsThan: draft.teamId })).toEqual([
        runs.done,
        runs.loose,
        runs.live,
        runs.draft,
      ]);
    });

    it('reads a run with its suite and its use case owner, and runs by id', async () => {
      const found = await db.uow.read((tx) => sut.getWithOwner(tx, runs.draft));
      expect(found?.run.suite?.id).toBe(suiteId);
      expect(found?.useCase).toEqual({ ownerTeamId: draft.teamId, stage: 'proposed' });
      expect((await db.uow.read((tx) => sut.getWithOwner(tx, runs.loose)))?.useCase).toBeNull();
      expect(await db.uow.read((tx) => sut.getWithOwner(tx, randomUUID()))).toBeNull();
      const byIds = await db.uow.read((tx) => sut.findByIds(tx, [runs.live, runs.loose, randomUUID()]));
      expect(byIds.map((run) => run.id).sort()).toEqual([runs.live, runs.loose].sort());
    });
  });

  describe('insert', () => {
    it('stores a new run queued, with no progress, report or times but its creation', async () => {
      const id = randomUUID();
      const createdAt = new Date('2026-01-02T03:04:05.000Z');
      const manifest = { runId: id, cassettes: {} } as unknown as StoredManifest;

      const stored = await db.uow.write((tx) =>
        sut.insert(tx, {
          id,
          suiteId,
          aiUseCaseId: null,
          baselineRunId: null,
          targetConfig: { type: 'replay', cassette: 'c' },
          targetHash: 'f'.repeat(64),
          provider: 'replay',
          total: 6,
          manifest,
          createdBy: 'starter',
          createdAt,
        }),
      );

      const row = await db.dataSource.getRepository(EvaluationRunEntity).findOneByOrFail({ id });
      expect(row).toMatchObject({
        status: 'queued',
        suiteId,
        provider: 'replay',
        total: 6,
        completed: 0,
        failed: 0,
        errored: 0,
        manifest,
        report: null,
        outcome: null,
        error: null,
        createdBy: 'starter',
        startedAt: null,
        completedAt: null,
        cancelledAt: null,
      });
      expect(row.createdAt.toISOString()).toBe(createdAt.toISOString());
      expect(row.updatedAt.toISOString()).toBe(createdAt.toISOString());
      expect(stored).toMatchObject({ id, status: 'queued', completed: 0 });
    });
  });

  describe('cancel', () => {
    it('cancels a queued or running run once; a finished run is left as it is', async () => {
      const running = await givenRun({ status: 'running' });
      const queued = await givenRun({ status: 'queued' });
      const completed = await givenRun({ status: 'completed' });
      const now = new Date();

      const cancel = (id: string) => db.uow.write((tx) => sut.cancel(tx, id, now));
      expect([await cancel(running), await cancel(queued), await cancel(completed)]).toEqual([
        true,
        true,
        false,
      ]);
      expect(await cancel(running)).toBe(false);

      const rows = await db.uow.read((tx) => sut.findByIds(tx, [running, completed]));
      const byId = new Map(rows.map((run) => [run.id, run]));
      expect(byId.get(running)).toMatchObject({ status: 'cancelled', cancelledAt: now });
      expect(byId.get(completed)).toMatchObject({ status: 'completed', cancelledAt: null });
    });
  });
});
