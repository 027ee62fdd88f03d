import {
  GATEHOUSE_CONFIG,
  ConnectionsService,
  JOB_QUEUE,
  LiveScoringService,
  PlatformNetwork,
  WatchService,
} from '@gatehouse/application';
import {
  ConnectionRepository,
  LiveJudgeBudgetRepository,
  LiveMeasuresRepository,
  LiveScoringLeaseEntity,
  LiveScoringLeaseRepository,
  LiveSettingsRepository,
  managerOf,
  UnitOfWork,
} from '@gatehouse/persistence';
import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  type StubRequestBody,
  testDriver,
} from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { suitePassedPolicy } from './support/givens';
import {
  givenLiveSettings,
  interaction,
  interactionsOf,
  jobContext,
  judgedSuiteYaml,
  store,
  todayUtcDay,
  verdictsOf,
} from './support/live';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

/**
 * The lease that keeps two worker processes from judging one live batch twice: scoring services that do not
 * share the in-process queue of a batch's jobs (two API apps on one PostgreSQL database; on SQLite, whose
 * file is one process's, a second service built by hand on the first app's providers, with its own queue),
 * a lease left by a dead holder, one held by a live holder, one lost while judging, and no lease at all when
 * only deterministic scorers run.
 */

const JUDGE_KEY = 'sk-lease-judges-connection';
/** The suite's timeout: longer than any latency the judge is given here. */
const TIMEOUT_MS = 5_000;
/** What the interactions of a batch are judged with, four at a time (the service's concurrency). */
const CONCURRENCY = 4;

/** The judge grades an answer with "please" in it 5, anything else 1. */
function grade(body: StubRequestBody): string {
  const prompt = body.messages.at(-1)?.content ?? '';
  const polite = /please/i.test(prompt.split('Answer to grade:').at(-1) ?? '');
  return JSON.stringify({ score: polite ? 5 : 1, reasoning: polite ? 'polite' : 'curt' });
}

const SCORERS = [
  '  - type: rubric_judge',
  '    name: kind',
  '    rubric: The answer is polite.',
  '    judge: { model: judge-model, connection: judges }',
  '  - { type: pii_leakage, name: pii }',
];

const until = async (condition: () => boolean, what: string, withinMs = 10_000): Promise<void> => {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > withinMs) {
      throw new Error(`not within ${withinMs} ms: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describeIntegration('live scoring: one lease per batch keeps workers from judging it twice', () => {
  const postgres = testDriver() === 'postgres';
  const env = { GATEHOUSE_LIVE_MAX_JUDGE_CALLS_PER_DAY: '100' };
  let api: TestApi;
  /** The second API process (PostgreSQL only). */
  let second: TestApi | undefined;
  let judge: OpenAiStub;
  let sam: TestUser;
  let scoring: LiveScoringService;
  /** Another worker's scoring service: same database, its own in-process queue of batches. */
  let other: LiveScoringService;
  let uow: UnitOfWork;

  const newUseCase = async (): Promise<string> =>
    (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)).body.id;

  /** A use case with a judge budget of `budget` and one batch of sampled interactions with these answers. */
  const givenBatch = async (answers: string[], budget = 100) => {
    const aiUseCaseId = await newUseCase();
    await givenLiveSettings(api, aiUseCaseId, { judgeCallsPerDay: budget });
    const batchId = randomUUID();
    const rows = answers.map((answer, i) =>
      interaction(aiUseCaseId, {
        batchId,
        inputText: `Where do I send the form? (${i})`,
        outputText: answer,
        outputChars: answer.length,
      }),
    );
    await store(api, rows);
    return { aiUseCaseId, batchId, rows };
  };

  const leases = () => uow.read((tx) => managerOf(tx).find(LiveScoringLeaseEntity));
  const givenLease = (aiUseCaseId: string, batchId: string, holder: string, heldUntil: Date) =>
    uow.write((tx) =>
      managerOf(tx).insert(LiveScoringLeaseEntity, { aiUseCaseId, batchId, holder, heldUntil }),
    );
  const used = (aiUseCaseId: string) =>
    uow.read((tx) => api.app.get(LiveJudgeBudgetRepository).used(tx, aiUseCaseId, todayUtcDay()));
  const allScored = async (aiUseCaseId: string) =>
    (await interactionsOf(api, aiUseCaseId)).every((row) => row.scoredAt instanceof Date);
  const noneScored = async (aiUseCaseId: string) =>
    (await interactionsOf(api, aiUseCaseId)).every((row) => row.scoredAt === null);

  /** A scoring service of its own, built from the app's providers as Nest builds the app's one. */
  const serviceBesides = (app: TestApi['app']): LiveScoringService =>
    new LiveScoringService(
      app.get(UnitOfWork),
      app.get(LiveMeasuresRepository),
      app.get(LiveSettingsRepository),
      app.get(LiveJudgeBudgetRepository),
      app.get(LiveScoringLeaseRepository),
      app.get(ConnectionRepository),
      app.get(ConnectionsService),
      app.get(PlatformNetwork),
      app.get(JOB_QUEUE),
      app.get(GATEHOUSE_CONFIG),
    );

  /**
   * Scores the batch with the lease renewed every `renewEveryMs`, and once `callsOut` judge calls have reached
   * the judge, lets another job ("taken-over") take the lease over, as a worker would once this one's ran out.
   */
  const scoreWhileTakenOver = async (
    aiUseCaseId: string,
    batchId: string,
    renewEveryMs: number,
    callsOut: number,
  ): Promise<void> => {
    const timing = scoring.leaseTiming;
    scoring.leaseTiming = { holdMs: 60_000, renewEveryMs };
    const before = judge.requests;
    try {
      const run = scoring.scoreBatch({ aiUseCaseId, batchId }, jobContext());
      await until(() => judge.requests - before >= callsOut, 'the first calls reach the judge');
      const taken = await uow.write((tx) =>
        managerOf(tx).update(LiveScoringLeaseEntity, { batchId }, { holder: 'taken-over' }),
      );
      expect(taken.affected).toBe(1);
      await run;
    } finally {
      scoring.leaseTiming = timing;
    }
  };

  /** Nothing of the batch was written by the job that lost its lease, and the lease is the new holder's. */
  const expectLeftToTheNewHolder = async (
    aiUseCaseId: string,
    batchId: string,
    rows: { id: string }[],
  ): Promise<void> => {
    expect(await verdictsOf(api, rows, 'kind')).toEqual([]);
    expect(await verdictsOf(api, rows, 'pii')).toEqual([]);
    expect(await noneScored(aiUseCaseId)).toBe(true);
    // The job that lost it did not delete it.
    expect(await leases()).toEqual([expect.objectContaining({ batchId, holder: 'taken-over' })]);
    await uow.write((tx) => managerOf(tx).delete(LiveScoringLeaseEntity, { batchId }));
  };

  beforeAll(async () => {
    judge = await startOpenAiStub({ respond: grade, apiKey: JUDGE_KEY });
    api = await TestApi.start(env);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    const eve = await api.user('Eve', ['engineer'], 'Benefits');
    await api.connection('stub', 'http://127.0.0.1:9/v1');
    await api.connection('judges', judge.url, { secret: JUDGE_KEY });
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=lease-judged-questions', jsonl(questionItems(3)), 'application/x-ndjson')
      .expect(201);
    await api
      .as(eve.token)
      .upload('/v1/suites', judgedSuiteYaml('lease-judged', SCORERS, TIMEOUT_MS), 'application/yaml')
      .expect(201);
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('lease-judged')).expect(201);
    scoring = api.app.get(LiveScoringService);
    uow = api.app.get(UnitOfWork);
    if (postgres) {
      second = await TestApi.start({ ...env, DATABASE_URL: api.database.url });
      other = second.app.get(LiveScoringService);
    } else {
      other = serviceBesides(api.app);
    }
    if (other === scoring) {
      throw new Error('the second scoring service must not be the first');
    }
  }, 60_000);

  afterEach(() => {
    judge.reset();
  });

  afterAll(async () => {
    await second?.close();
    await api?.close();
    await judge?.close();
  });

  it('two workers scoring one batch at once with a slow judge: each interaction judged once, the budget spent once', async () => {
    judge.setOptions({ latencyMs: 300 });
    const answers = ['Please use the form.', 'No.', 'Please call us.', 'No.', 'Please write.', 'No.'];
    const { aiUseCaseId, batchId, rows } = await givenBatch(answers);
    const before = judge.requests;

    await Promise.all([
      scoring.scoreBatch({ aiUseCaseId, batchId }, jobContext()),
      other.scoreBatch({ aiUseCaseId, batchId }, jobContext()),
    ]);

    expect(judge.requests - before).toBe(rows.length);
    expect(await used(aiUseCaseId)).toBe(rows.length);
    const kind = new Map((await verdictsOf(api, rows, 'kind')).map((v) => [v.interactionId, v.passed]));
    expect(rows.map((row) => kind.get(row.id))).toEqual(answers.map((a) => a.startsWith('Please')));
    expect(await verdictsOf(api, rows, 'pii')).toHaveLength(rows.length);
    expect(await allScored(aiUseCaseId)).toBe(true);
    // Released at the end.
    expect(await leases()).toEqual([]);
  });

  it('takes over the expired lease of a dead holder and scores the batch', async () => {
    const { aiUseCaseId, batchId, rows } = await givenBatch(['Please.', 'No.']);
    await givenLease(aiUseCaseId, batchId, randomUUID(), new Date(Date.now() - 60_000));
    const before = judge.requests;

    await scoring.scoreBatch({ aiUseCaseId, batchId }, jobContext());

    expect(judge.requests - before).toBe(2);
    expect((await verdictsOf(api, rows, 'kind')).map((v) => v.passed).sort()).toEqual([false, true]);
    expect(await allScored(aiUseCaseId)).toBe(true);
    expect(await leases()).toEqual([]);
  });

  it('a live lease of another holder: the job judges nothing and ends; once it is released the next job scores the batch', async () => {
    const { aiUseCaseId, batchId, rows } = await givenBatch(['Please.', 'No.', 'Please.']);
    const holder = randomUUID();
    await givenLease(aiUseCaseId, batchId, holder, new Date(Date.now() + 60_000));
    const before = judge.requests;

    await other.scoreBatch({ aiUseCaseId, batchId }, jobContext());

    expect(judge.requests).toBe(before);
    expect(await used(aiUseCaseId)).toBe(0);
    expect(await verdictsOf(api, rows, 'kind')).toEqual([]);
    expect(await verdictsOf(api, rows, 'pii')).toEqual([]);
    expect(await noneScored(aiUseCaseId)).toBe(true);
    // The holder's lease is left as it was.
    expect(await leases()).toEqual([expect.objectContaining({ batchId, holder })]);

    await uow.write((tx) => managerOf(tx).delete(LiveScoringLeaseEntity, { batchId, holder }));
    await other.scoreBatch({ aiUseCaseId, batchId }, jobContext());

    expect(judge.requests - before).toBe(3);
    expect(await verdictsOf(api, rows, 'kind')).toHaveLength(3);
    expect(await allScored(aiUseCaseId)).toBe(true);
    expect(await leases()).toEqual([]);
  });

  it('deterministic scoring only (no judge budget) takes no lease: no statement on the table, no row', async () => {
    const { aiUseCaseId, batchId, rows } = await givenBatch(['Please.', 'No.'], 0);
    const repository = api.app.get(LiveScoringLeaseRepository);
    const acquire = jest.spyOn(repository, 'acquire');
    try {
      await scoring.scoreBatch({ aiUseCaseId, batchId }, jobContext());
      expect(acquire).not.toHaveBeenCalled();
    } finally {
      acquire.mockRestore();
    }
    expect(await verdictsOf(api, rows, 'pii')).toHaveLength(2);
    expect(await verdictsOf(api, rows, 'kind')).toEqual([]);
    expect(await allScored(aiUseCaseId)).toBe(true);
    expect(await leases()).toEqual([]);

    // Even a lease some judging job holds on the batch does not hold deterministic scoring back.
    const next = await givenBatch(['Please.'], 0);
    await givenLease(next.aiUseCaseId, next.batchId, 'judging-elsewhere', new Date(Date.now() + 60_000));
    await scoring.scoreBatch({ aiUseCaseId: next.aiUseCaseId, batchId: next.batchId }, jobContext());
    expect(await allScored(next.aiUseCaseId)).toBe(true);
    await uow.write((tx) => managerOf(tx).delete(LiveScoringLeaseEntity, { batchId: next.batchId }));
  });

  it('a lease lost while the judges are out: their calls are aborted, nothing of the chunk is written, no call more is made', async () => {
    const answers = Array.from({ length: 2 * CONCURRENCY }, (_, i) => (i % 2 ? 'No.' : 'Please.'));
    const { aiUseCaseId, batchId, rows } = await givenBatch(answers);
    // Far longer than a renewal (100 ms): the job must end by the renewal, long before any answer.
    judge.setOptions({ latencyMs: 6_000 });
    const before = judge.requests;
    const completed = judge.completions;
    // Once the first interactions' calls are out (the judge holds them), another job takes the lease over.
    await scoreWhileTakenOver(aiUseCaseId, batchId, 100, CONCURRENCY);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(judge.requests - before).toBe(CONCURRENCY);
    expect(judge.completions).toBe(completed);
    expect(await used(aiUseCaseId)).toBe(CONCURRENCY);
    await expectLeftToTheNewHolder(aiUseCaseId, batchId, rows);
  });

  it('a holder whose lease was taken before its next renewal writes nothing of the chunk it judged', async () => {
    const answers = ['Please.', 'No.', 'Please.', 'No.', 'Please.', 'No.'];
    const { aiUseCaseId, batchId, rows } = await givenBatch(answers);
    judge.setOptions({ latencyMs: 400 });
    const completed = judge.completions;
    // No timed renewal during the job (every 60 s): only the chunk's write can find the lease gone.
    await scoreWhileTakenOver(aiUseCaseId, batchId, 60_000, 1);

    // The calls were made and answered (nothing told the job to stop) …
    expect(judge.completions - completed).toBe(rows.length);
    // … but the write found the lease another's: nothing of the chunk is stored, the batch is left to it.
    await expectLeftToTheNewHolder(aiUseCaseId, batchId, rows);
  });

  it("the watch's pass deletes leases that ran out over an hour ago, and keeps recent and running ones", async () => {
    const aiUseCaseId = await newUseCase();
    const now = new Date();
    const dead = randomUUID();
    const recent = randomUUID();
    const running = randomUUID();
    await givenLease(aiUseCaseId, dead, 'died', new Date(now.getTime() - 2 * 60 * 60_000));
    await givenLease(aiUseCaseId, recent, 'died-lately', new Date(now.getTime() - 60_000));
    await givenLease(aiUseCaseId, running, 'alive', new Date(now.getTime() + 60_000));

    const report = await api.app.get(WatchService).pass(now);

    expect(report.errors).toEqual([]);
    expect(report.leasesCleared).toBe(1);
    const left = (await leases()).map((lease) => lease.batchId);
    expect(left).not.toContain(dead);
    expect(left).toEqual(expect.arrayContaining([recent, running]));
    await uow.write((tx) => managerOf(tx).delete(LiveScoringLeaseEntity, { aiUseCaseId }));
  });
});
