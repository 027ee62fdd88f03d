import { loadConfig } from '@gatehouse/config';
import { type Actor, DomainError } from '@gatehouse/domain';
import {
  AuditLogRepository,
  CassetteEntity,
  ConnectionRepository,
  DatasetEntity,
  RunRepository,
  SuiteEntity,
  TeamEntity,
  TeamRepository,
} from '@gatehouse/persistence';
import { InProcessJobQueue } from '@gatehouse/queue';
import { describeIntegration, useTestDataSource } from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { ConnectionsService } from '../connections/connections.service';
import { PlatformNetwork } from '../connections/platform-network';
import { type RequestContext } from '../request-context';
import { RunsService } from './runs.service';

/**
 * RunsService on a real database with the real repositories and the in-process queue: what starting and
 * cancelling a run store, pin and audit, and what they refuse. The API-level journeys (execution,
 * results, events) are in apps/api/test/runs.int-spec.ts.
 */
describeIntegration('RunsService (start, cancel)', () => {
  const db = useTestDataSource();
  const config = loadConfig({});
  let queue: InProcessJobQueue;
  let auditLog: AuditLogRepository;
  let sut: RunsService;
  let teamId: string;
  const suites = { main: { hash: 'a'.repeat(64), items: 4 }, other: { hash: 'b'.repeat(64), items: 2 } };
  const CASSETTE_SHA = 'c'.repeat(64);

  beforeAll(async () => {
    const { uow } = db;
    queue = new InProcessJobQueue();
    auditLog = new AuditLogRepository(uow);
    const audit = new AuditService(auditLog);
    const connections = new ConnectionsService(
      uow,
      new ConnectionRepository(uow),
      new TeamRepository(uow),
      audit,
      new PlatformNetwork(config),
      config,
    );
    sut = new RunsService(uow, new RunRepository(uow), audit, queue, config, connections);
    teamId = randomUUID();
    const now = new Date();
    await db.dataSource.getRepository(TeamEntity).insert({ id: teamId, name: 'Benefits', createdAt: now });
    for (const [name, { hash, items }] of Object.entries(suites)) {
      await givenSuite(name, hash, items);
    }
    // The platform's cassette every suite here replays.
    await db.dataSource.getRepository(CassetteEntity).insert({
      id: randomUUID(),
      name: 'answers',
      sha256: CASSETTE_SHA,
      entryCount: 0,
      content: '',
      recordedFrom: null,
      publishedAt: now,
      ownerTeamId: null,
      createdBy: 'test',
      createdAt: now,
    });
  });

  afterAll(async () => {
    await queue?.close();
  });

  /** `name@1` on a dataset `name@1` of `items` items, replaying the cassette `answers` twice per item. */
  async function givenSuite(name: string, datasetHash: string, items: number): Promise<void> {
    const datasetId = randomUUID();
    const now = new Date();
    await db.dataSource.getRepository(DatasetEntity).insert({
      id: datasetId,
      name,
      version: 1,
      sha256: datasetHash,
      itemCount: items,
      manifest: {},
      createdBy: 'test',
      createdAt: now,
    });
    await db.dataSource.getRepository(SuiteEntity).insert({
      id: randomUUID(),
      name,
      version: 1,
      sha256: `${name}-suite`.padEnd(64, '0'),
      definition: {
        target: { type: 'replay', cassette: 'answers' },
        scorers: [{ type: 'exact_match', name: 'exact' }],
        epochs: 2,
      },
      source: '',
      datasetId,
      createdBy: 'test',
      createdAt: now,
    });
  }

  const engineer = (id = `u-${randomUUID()}`): RequestContext => ({
    actor: { id, name: 'Eve', teamId, roles: ['engineer'] } satisfies Actor,
    requestId: null,
  });

  const runsStored = async () => (await sut.list(engineer().actor, { limit: 1, offset: 0 })).total;
  const auditOf = async (runId: string) =>
    (await auditLog.list({ subjectType: 'evaluation_run', subjectId: runId }, 10, 0)).items;

  it('starts a queued run with every input pinned, audits it and enqueues its start', async () => {
    const eve = engineer();
    const waitingBefore = Object.values(await queue.counts()).reduce((sum, q) => sum + q.waiting, 0);

    const run = await sut.start(eve, {
      suite: { name: 'main', version: 1 },
      datasetSha256: suites.main.hash,
    });

    expect(run).toMatchObject({
      status: 'queued',
      suite: { name: 'main', version: 1 },
      target: { type: 'replay', cassette: 'answers' },
      progress: { total: 8, completed: 0, remaining: 8 },
      createdBy: eve.actor.id,
      manifest: {
        runId: run.id,
        dataset: { name: 'main', version: 1, hash: suites.main.hash, count: 4 },
        target: { type: 'replay', description: 'replay of cassette answers' },
        scorers: [expect.objectContaining({ name: 'exact', type: 'exact_match' })],
        epochs: 2,
        engine: 'platform',
        packageVersion: config.version,
        cassettes: { answers: CASSETTE_SHA },
      },
    });
    expect(run.manifest.startedAt).toBe(run.createdAt);
    expect(await sut.get(eve.actor, run.id)).toEqual(run);
    expect(await auditOf(run.id)).toEqual([
      expect.objectContaining({
        action: 'run.started',
        actorId: eve.actor.id,
        after: expect.objectContaining({ suite: 'main@1', datasetHash: suites.main.hash, total: 8 }),
      }),
    ]);
    const waitingAfter = Object.values(await queue.counts()).reduce((sum, q) => sum + q.waiting, 0);
    expect(waitingAfter).toBe(waitingBefore + 1);
  });

  it.each([
    ['an unknown suite', { suite: { name: 'missing', version: 1 } }, 'suite', 'unknown_reference'],
    [
      'a version the suite does not have',
      { suite: { name: 'main', version: 2 } },
      'suite',
      'unknown_reference',
    ],
    [
      'a dataset that changed',
      { suite: { name: 'main', version: 1 }, datasetSha256: 'f'.repeat(64) },
      'datasetSha256',
      'hash_mismatch',
    ],
    [
      'a bad target',
      { suite: { name: 'main', version: 1 }, target: { type: 'replay' } },
      'target.cassette',
      undefined,
    ],
    [
      'an unknown baseline',
      { suite: { name: 'main', version: 1 }, baselineRunId: randomUUID() },
      'baselineRunId',
      'unknown_reference',
    ],
    [
      'an unknown use case',
      { suite: { name: 'main', version: 1 }, aiUseCaseId: randomUUID() },
      'aiUseCaseId',
      'unknown_reference',
    ],
  ])('refuses %s and stores no run', async (_, input, field, code) => {
    const before = await runsStored();

    const refusal = await sut.start(engineer(), input).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(DomainError);
    expect((refusal as DomainError).problems).toEqual([
      expect.objectContaining({ field, ...(code ? { code } : {}) }),
    ]);
    expect(await runsStored()).toBe(before);
  });

  it('refuses a baseline that ran on another dataset: a paired comparison needs the same items', async () => {
    const baseline = await sut.start(engineer(), { suite: { name: 'other', version: 1 } });

    await expect(
      sut.start(engineer(), { suite: { name: 'main', version: 1 }, baselineRunId: baseline.id }),
    ).rejects.toMatchObject({
      problems: [expect.objectContaining({ field: 'baselineRunId', code: 'incomparable' })],
    });
    const same = await sut.start(engineer(), {
      suite: { name: 'other', version: 1 },
      baselineRunId: baseline.id,
    });
    expect(same.baselineRunId).toBe(baseline.id);
  });

  it('lets the starter cancel a queued run once, audited with the reason; others may not', async () => {
    const eve = engineer();
    const run = await sut.start(eve, { suite: { name: 'main', version: 1 } });

    await expect(sut.cancel(engineer(), run.id)).rejects.toMatchObject({ code: 'forbidden' });
    const cancelled = await sut.cancel(eve, run.id, 'wrong suite');

    expect(cancelled).toMatchObject({ id: run.id, status: 'cancelled', cancelledAt: expect.any(String) });
    expect(await sut.get(eve.actor, run.id)).toMatchObject({ status: 'cancelled' });
    expect((await auditOf(run.id)).map((event) => [event.action, event.reason])).toEqual([
      ['run.cancelled', 'wrong suite'],
      ['run.started', null],
    ]);
    await expect(sut.cancel(eve, run.id)).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('refuses a group filter that is not key:value, and reads no results of an unknown run', async () => {
    const eve = engineer();
    const run = await sut.start(eve, { suite: { name: 'main', version: 1 } });

    await expect(
      sut.results(eve.actor, run.id, { group: 'band', limit: 10, offset: 0 }),
    ).rejects.toMatchObject({
      problems: [expect.objectContaining({ field: 'group', code: 'invalid' })],
    });
    expect(await sut.results(eve.actor, run.id, { group: 'band:65+', limit: 10, offset: 0 })).toEqual({
      items: [],
      total: 0,
    });
    await expect(sut.results(eve.actor, randomUUID(), { limit: 10, offset: 0 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
