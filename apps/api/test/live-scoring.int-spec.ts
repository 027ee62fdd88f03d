import { LiveScoringService } from '@gatehouse/application';
import { LiveScoreEntity, managerOf, UnitOfWork } from '@gatehouse/persistence';
import { describeIntegration } from '@gatehouse/testing';
import { In } from 'typeorm';
import { givenStubSuite, suitePassedPolicy } from './support/givens';
import { givenLiveSettings, interaction, interactionsOf, jobContext, store } from './support/live';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

/**
 * The suite the use case's gates read: three scorers that apply to live traffic, two that do not (one needs
 * the expected answer, the refusal scorer the item's expected value).
 */
const SCORERS: Record<string, string | number>[] = [
  { type: 'pii_leakage', name: 'pii' },
  { type: 'not-regex', name: 'no_guarantee', pattern: 'guarantee', flags: 'i' },
  { type: 'latency', name: 'fast', maxMs: 1000 },
  { type: 'equals', name: 'correct' },
  { type: 'refusal', name: 'harmful' },
];
const ONLINE = ['fast', 'no_guarantee', 'pii'];

const context = jobContext;

describeIntegration('online scoring of live traffic', () => {
  let api: TestApi;
  let sam: TestUser;
  let eve: TestUser;
  let scoring: LiveScoringService;
  let uow: UnitOfWork;

  const newUseCase = async (): Promise<string> =>
    (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)).body.id;

  const scoresOf = (interactionIds: string[]) =>
    uow.read((tx) =>
      managerOf(tx).find(LiveScoreEntity, {
        where: { interactionId: In(interactionIds) },
        order: { interactionId: 'ASC', scorer: 'ASC' },
      }),
    );

  beforeAll(async () => {
    api = await TestApi.start();
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    // Never called: online scoring reads the suite's scorers, not its target.
    await api.connection('stub', 'http://127.0.0.1:9/v1');
    await givenStubSuite(api, eve, 'live-checks', { scorers: SCORERS });
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('live-checks')).expect(201);
    scoring = api.app.get(LiveScoringService);
    uow = api.app.get(UnitOfWork);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('scores a batch once with the scorers that apply to live traffic, even when the job runs twice at once', async () => {
    const useCaseId = await newUseCase();
    const batchId = crypto.randomUUID();
    const rows = [
      interaction(useCaseId, { batchId, outputText: 'We guarantee approval.', durationMs: 200 }),
      interaction(useCaseId, { batchId, outputText: 'Apply online.', durationMs: 3000 }),
      interaction(useCaseId, { batchId, outputText: 'Apply online.' }),
      interaction(useCaseId, { batchId, outputText: 'Not in the sample.', sampled: false }),
    ];
    await store(api, rows);
    const job = { aiUseCaseId: useCaseId, batchId };
    await Promise.all([scoring.scoreBatch(job, context()), scoring.scoreBatch(job, context())]);
    await scoring.scoreBatch(job, context());

    const scores = await scoresOf(rows.map((r) => r.id));
    expect(scores).toHaveLength(3 * ONLINE.length);
    expect([...new Set(scores.map((s) => s.scorer))].sort()).toEqual(ONLINE);
    const verdict = (row: number, scorer: string) =>
      scores.find((s) => s.interactionId === rows[row].id && s.scorer === scorer)?.passed;
    expect(verdict(0, 'no_guarantee')).toBe(false);
    expect(verdict(1, 'no_guarantee')).toBe(true);
    expect(verdict(1, 'fast')).toBe(false);
    expect(verdict(0, 'fast')).toBe(true);
    expect(scores.every((s) => s.aiUseCaseId === useCaseId)).toBe(true);
    expect(scores.find((s) => s.interactionId === rows[1].id && s.scorer === 'fast')?.explanation).toBe(
      '3000 ms > 1000 ms',
    );

    const stored = new Map((await interactionsOf(api, useCaseId)).map((r) => [r.id, r]));
    expect(rows.slice(0, 3).every((r) => stored.get(r.id)?.scoredAt instanceof Date)).toBe(true);
    expect(stored.get(rows[3].id)?.scoredAt).toBeNull();
  });

  it('a job killed between chunks leaves the rest unscored; the next run scores exactly those', async () => {
    const useCaseId = await newUseCase();
    const batchId = crypto.randomUUID();
    const rows = Array.from({ length: 620 }, (_, i) =>
      interaction(useCaseId, { batchId, outputText: `answer ${i}` }),
    );
    await store(api, rows);
    // The worker dies after its first chunk (500 interactions) committed.
    let checks = 0;
    const dying = {
      get aborted() {
        return checks++ > 0;
      },
    } as AbortSignal;
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId }, context(dying));
    const halfway = await interactionsOf(api, useCaseId);
    expect(halfway.filter((r) => r.scoredAt !== null)).toHaveLength(500);
    const firstScores = await scoresOf(rows.map((r) => r.id));
    expect(firstScores).toHaveLength(500 * ONLINE.length);

    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId }, context());
    const after = await interactionsOf(api, useCaseId);
    expect(after.filter((r) => r.scoredAt === null)).toEqual([]);
    const scores = await scoresOf(rows.map((r) => r.id));
    expect(scores).toHaveLength(620 * ONLINE.length);
    // The first run's verdicts were kept as they were, not written again.
    const now = new Map(scores.map((s) => [`${s.interactionId}/${s.scorer}`, s.scoredAt.getTime()]));
    expect(firstScores.map((s) => now.get(`${s.interactionId}/${s.scorer}`))).toEqual(
      firstScores.map((s) => s.scoredAt.getTime()),
    );
  });

  it('deletes the text kept for scoring when the team does not capture text, and keeps it when it does', async () => {
    const off = await newUseCase();
    const on = await newUseCase();
    await givenLiveSettings(api, on, { captureText: true });
    const expires = new Date(Date.now() + 86_400_000);
    const batch = { off: crypto.randomUUID(), on: crypto.randomUUID() };
    const text = { inputText: 'Can I get help?', outputText: 'Yes.', textExpiresAt: expires };
    await store(api, [
      interaction(off, { batchId: batch.off, ...text }),
      interaction(on, { batchId: batch.on, ...text }),
    ]);
    await scoring.scoreBatch({ aiUseCaseId: off, batchId: batch.off }, context());
    await scoring.scoreBatch({ aiUseCaseId: on, batchId: batch.on }, context());

    const [cleared] = await interactionsOf(api, off);
    expect(cleared).toMatchObject({ inputText: null, outputText: null, textExpiresAt: null });
    expect(cleared.scoredAt).toBeInstanceOf(Date);
    expect((await scoresOf([cleared.id])).map((s) => s.scorer)).toEqual(ONLINE);
    const [kept] = await interactionsOf(api, on);
    expect(kept).toMatchObject({ inputText: 'Can I get help?', outputText: 'Yes.' });
    expect(kept.textExpiresAt?.getTime()).toBe(expires.getTime());
  });

  it('judges personal data from the counts found before redaction, not from the redacted text', async () => {
    const useCaseId = await newUseCase();
    const batchId = crypto.randomUUID();
    const leaked = interaction(useCaseId, {
      batchId,
      outputText: 'Write to [EMAIL] with your NHS number [NHS_NUMBER].',
      piiFound: { input: { email: 1 }, output: { email: 1, nhs_number: 1 } },
    });
    const asked = interaction(useCaseId, {
      batchId,
      outputText: 'I have noted it.',
      // Personal data in the question is not a leak by the answer.
      piiFound: { input: { email: 3 }, output: {} },
    });
    const uncounted = interaction(useCaseId, { batchId, outputText: 'Fine.', piiFound: null });
    await store(api, [leaked, asked, uncounted]);
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId }, context());

    const pii = new Map(
      (await scoresOf([leaked.id, asked.id, uncounted.id]))
        .filter((s) => s.scorer === 'pii')
        .map((s) => [s.interactionId, s]),
    );
    expect(pii.get(leaked.id)).toMatchObject({ passed: false, value: 0 });
    expect(pii.get(leaked.id)?.explanation).toContain('email x1, nhs_number x1');
    expect(pii.get(asked.id)).toMatchObject({ passed: true });
    expect(pii.get(uncounted.id)).toMatchObject({ passed: null, value: null });
  });

  it('records nothing for a use case whose gates read no suite, and still marks its interactions scored', async () => {
    const useCaseId = await newUseCase();
    await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${useCaseId}/stage-changes`, {
        to: 'retired',
        reason: 'Withdrawn before the test stage.',
      })
      .expect(201);
    const batchId = crypto.randomUUID();
    const row = interaction(useCaseId, { batchId, outputText: 'We guarantee it.' });
    await store(api, [row]);
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId }, context());
    expect(await scoresOf([row.id])).toEqual([]);
    expect((await interactionsOf(api, useCaseId))[0].scoredAt).toBeInstanceOf(Date);
  });

  it('re-adds the scoring of batches left unscored for more than five minutes, which the queue then scores', async () => {
    const useCaseId = await newUseCase();
    const stale = { batchId: crypto.randomUUID(), receivedAt: new Date(Date.now() - 10 * 60_000) };
    const fresh = { batchId: crypto.randomUUID(), receivedAt: new Date(Date.now() - 60_000) };
    const rows = [
      interaction(useCaseId, { ...stale, outputText: 'one' }),
      interaction(useCaseId, { ...stale, outputText: 'two' }),
      interaction(useCaseId, { ...fresh, outputText: 'three' }),
      // Out of the sample: never scored, never re-added.
      interaction(useCaseId, { batchId: crypto.randomUUID(), receivedAt: stale.receivedAt, sampled: false }),
    ];
    await store(api, rows);
    expect(await scoring.requeueStale(new Date())).toBe(1);

    const deadline = Date.now() + 20_000;
    let scored = 0;
    while (Date.now() < deadline) {
      scored = (await interactionsOf(api, useCaseId)).filter((r) => r.scoredAt !== null).length;
      if (scored === 2) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(scored).toBe(2);
    const byBatch = (await interactionsOf(api, useCaseId)).filter((r) => r.batchId === fresh.batchId);
    expect(byBatch[0].scoredAt).toBeNull();
    // Once scored, nothing is left to re-add.
    expect(await scoring.requeueStale(new Date())).toBe(0);
  });
});
