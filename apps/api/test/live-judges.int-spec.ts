import { LiveScoringService } from '@gatehouse/application';
import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  type StubRequestBody,
} from '@gatehouse/testing';
import {
  givenLiveSettings,
  interaction,
  interactionsOf,
  liveSettingsBody,
  measuresToday,
  store,
  verdictsOf,
  jobContext,
  judgedSuiteYaml,
  todayUtcDay,
} from './support/live';
import { suitePassedPolicy } from './support/givens';
import { highRiskRecord, lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';
import { signIn } from './support/web';

/**
 * Model judges on live traffic: a suite's `rubric_judge` scores the sampled share when the use case has a
 * judge budget, reaching its model only through an admin's connection (the local stub here), each call
 * reserved from the day's budget first. The gates of low-tier use cases read `live-judged` (the judge `kind`
 * through the connection `judges`, and a PII guardrail) and `live-rogue` (judges that must never be called);
 * those of high-tier use cases read `live-panel` (a panel of two judges on `judges`).
 */

const JUDGE_KEY = 'sk-judges-connection';
const TIMEOUT_MS = 1_000;

/** The judge grades an answer with "please" in it 5 and anything else 1. */
function judgeReply(body: StubRequestBody): string {
  const user = body.messages.at(-1)?.content ?? '';
  const answer = /Answer to grade:\n([\s\S]*)$/.exec(user)?.[1] ?? '';
  const score = /please/i.test(answer) ? 5 : 1;
  return JSON.stringify({ score, reasoning: score === 5 ? 'polite' : 'curt' });
}

const KIND = [
  '  - type: rubric_judge',
  '    name: kind',
  '    rubric: The answer is polite.',
  '    judge: { model: judge-model, connection: judges }',
  '  - { type: pii_leakage, name: pii }',
];
const rogue = (rogueUrl: string) => [
  '  - type: rubric_judge',
  '    name: rogue',
  '    rubric: The answer is polite.',
  `    judge: { model: judge-model, baseUrl: '${rogueUrl}', apiKeyEnv: DATABASE_URL }`,
  '  - type: rubric_judge',
  '    name: borrowed',
  '    rubric: The answer is polite.',
  '    judge: { model: judge-model, connection: theirs }',
  '  - type: rubric_judge',
  '    name: orphan',
  '    rubric: The answer is polite.',
  '    judge: { model: judge-model, connection: gone }',
];
const PANEL = [
  '  - type: rubric_judge',
  '    name: panel',
  '    rubric: The answer is polite.',
  '    panel: [{ model: judge-a, connection: judges }, { model: judge-b, connection: judges }]',
];

describeIntegration('model judges on live traffic', () => {
  let api: TestApi;
  let judge: OpenAiStub;
  let rogueStub: OpenAiStub;
  let sam: TestUser;
  let scoring: LiveScoringService;

  const newUseCase = async (record: object = lowRiskRecord()): Promise<string> =>
    (await api.as(sam.token).post('/v1/ai-use-cases', { record }).expect(201)).body.id;

  /** `n` sampled interactions of one batch with a prompt and an answer stored (as redacted at ingest). */
  const traffic = (useCaseId: string, answers: (string | null)[], batchId = crypto.randomUUID()) =>
    answers.map((answer, i) =>
      interaction(useCaseId, {
        batchId,
        inputText: `How do I renew my badge? (${i})`,
        outputText: answer,
        outputChars: answer?.length ?? 0,
      }),
    );

  const verdicts = (rows: { id: string }[], scorer: string) => verdictsOf(api, rows, scorer);
  const judgeCalls = async (useCaseId: string) => (await measuresToday(api, sam.token, useCaseId)).judgeCalls;

  beforeAll(async () => {
    [judge, rogueStub] = await Promise.all([
      startOpenAiStub({ respond: judgeReply, apiKey: JUDGE_KEY }),
      startOpenAiStub({ respond: judgeReply }),
    ]);
    // The operator's cap on any use case's judge budget (the tests' budgets stay within it).
    api = await TestApi.start({ GATEHOUSE_LIVE_MAX_JUDGE_CALLS_PER_DAY: '100' });
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    const eve = await api.user('Eve', ['engineer'], 'Benefits');
    // The suites' target: never called by online scoring.
    await api.connection('stub', 'http://127.0.0.1:9/v1');
    await api.connection('judges', judge.url, { secret: JUDGE_KEY });
    // Shared with another team only: the Benefits team's traffic may not be sent through it.
    await api.connection('theirs', rogueStub.url, { teams: [await api.team('Housing')] });
    const suites: [string, string[]][] = [
      ['live-judged', KIND],
      ['live-rogue', rogue(rogueStub.url)],
      ['live-panel', PANEL],
    ];
    for (const [name, scorers] of suites) {
      await api
        .as(eve.token)
        .upload(`/v1/datasets?name=${name}-questions`, jsonl(questionItems(3)), 'application/x-ndjson')
        .expect(201);
      await api
        .as(eve.token)
        .upload('/v1/suites', judgedSuiteYaml(name, scorers, TIMEOUT_MS), 'application/yaml')
        .expect(201);
    }
    await api.admin
      .post(
        '/v1/gate-policies',
        suitePassedPolicy(
          { low: ['live-judged', 'live-rogue'], medium: ['live-judged'], high: ['live-panel'] },
          {},
          'live judges: low-tier gates read live-judged and live-rogue, high-tier ones live-panel',
        ),
      )
      .expect(201);
    scoring = api.app.get(LiveScoringService);
  });

  afterEach(() => {
    judge.reset();
    rogueStub.reset();
  });

  afterAll(async () => {
    await api?.close();
    await Promise.all([judge?.close(), rogueStub?.close()]);
  });

  it('a rubric judge scores the sampled share through the admin connection: pass, fail, and no text no verdict', async () => {
    const useCaseId = await newUseCase();
    await givenLiveSettings(api, useCaseId, { judgeCallsPerDay: 100, captureText: true });
    const rows = traffic(useCaseId, ['Yes, please apply online.', 'No.', null]);
    const outside = interaction(useCaseId, {
      batchId: rows[0].batchId,
      sampled: false,
      inputText: 'q',
      outputText: 'please',
    });
    await store(api, [...rows, outside]);
    const before = judge.requests;
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId: rows[0].batchId }, jobContext());

    const kind = new Map((await verdicts(rows, 'kind')).map((s) => [s.interactionId, s]));
    expect(kind.get(rows[0].id)).toMatchObject({ passed: true, value: 1, scorerType: 'rubric_judge' });
    expect(kind.get(rows[0].id)?.explanation).toContain('polite');
    expect(kind.get(rows[1].id)).toMatchObject({ passed: false, value: 0 });
    expect(kind.get(rows[2].id)).toMatchObject({ passed: null, value: null });
    expect(kind.get(rows[2].id)?.explanation).toContain('the judge has nothing to read');
    expect(await verdicts([outside], 'kind')).toEqual([]);
    // Two calls, with the connection's key (the stub refuses any other), on the text as stored.
    expect(judge.requests - before).toBe(2);
    expect(judge.lastBodies.at(-1)?.messages.at(-1)?.content).toContain('How do I renew my badge?');
    expect(await judgeCalls(useCaseId)).toEqual({ day: todayUtcDay(), used: 2, budget: 100 });
    // The deterministic scorers of the suite ran beside it, and the batch is done.
    expect(await verdicts(rows, 'pii')).toHaveLength(3);
    const stored = await interactionsOf(api, useCaseId);
    expect(stored.filter((r) => r.sampled).every((r) => r.scoredAt instanceof Date)).toBe(true);
  });

  it('without a judge budget no judge runs and nothing is recorded for it', async () => {
    const useCaseId = await newUseCase();
    const rows = traffic(useCaseId, ['Yes, please.']);
    await store(api, rows);
    const before = judge.requests;
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId: rows[0].batchId }, jobContext());
    expect(await verdicts(rows, 'kind')).toEqual([]);
    expect(await verdicts(rows, 'pii')).toHaveLength(1);
    expect(judge.requests).toBe(before);
    expect(await judgeCalls(useCaseId)).toEqual({ day: todayUtcDay(), used: 0, budget: 0 });
  });

  it('judges off the connection path are never called: a base URL, a connection of another team, one that is gone', async () => {
    const useCaseId = await newUseCase();
    await givenLiveSettings(api, useCaseId, { judgeCallsPerDay: 100 });
    const rows = traffic(useCaseId, ['Please apply.', 'No.']);
    await store(api, rows);
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId: rows[0].batchId }, jobContext());

    const reasons = {
      rogue: 'judge.connection is required',
      borrowed: "theirs is not a connection the use case's team may use",
      orphan: 'the connection gone is not on this server',
    };
    for (const [scorer, reason] of Object.entries(reasons)) {
      const found = await verdicts(rows, scorer);
      expect(found).toHaveLength(2);
      for (const verdict of found) {
        expect(verdict).toMatchObject({ passed: null, value: null });
        expect(verdict.explanation).toContain(reason);
      }
    }
    expect(rogueStub.requests).toBe(0);
    // Only `kind` spent from the budget.
    expect(await judgeCalls(useCaseId)).toMatchObject({ used: 2 });
  });

  it('spends no call past the day budget, even for two batches scored at once; the rest is unscored with the reason', async () => {
    const useCaseId = await newUseCase();
    await givenLiveSettings(api, useCaseId, { judgeCallsPerDay: 3 });
    const first = traffic(useCaseId, ['Please.', 'Please.', 'No.', 'No.']);
    const second = traffic(useCaseId, ['Please.', 'No.', 'Please.', 'No.']);
    await store(api, [...first, ...second]);
    const before = judge.requests;
    await Promise.all([
      scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId: first[0].batchId }, jobContext()),
      scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId: second[0].batchId }, jobContext()),
    ]);

    expect(judge.requests - before).toBe(3);
    const kind = await verdicts([...first, ...second], 'kind');
    expect(kind).toHaveLength(8);
    expect(kind.filter((s) => s.passed !== null)).toHaveLength(3);
    const spent = kind.filter((s) => s.passed === null);
    expect(spent).toHaveLength(5);
    for (const verdict of spent) {
      expect(verdict).toMatchObject({
        value: null,
        explanation: "the day's model-judge budget (3 calls) is spent",
      });
    }
    expect(await judgeCalls(useCaseId)).toEqual({ day: todayUtcDay(), used: 3, budget: 3 });
    // The live page shows the spend under the scorers, and the unscored verdicts beside them.
    const web = await signIn(api, sam.token);
    const page = (await web.get(`/ai-use-cases/${useCaseId}/live`)).text;
    expect(/id="measures-judge-calls">([^<]*)</.exec(page)?.[1]).toContain('3 of 3 calls used');
    expect(page).toMatch(
      /<th scope="row" class="govuk-table__header">kind<\/th>(\s*<td[^>]*>[^<]*<\/td>){4}\s*<td[^>]*>5<\/td>/,
    );
    // The budget is the use case's: another's is untouched.
    const other = await newUseCase();
    expect(await judgeCalls(other)).toMatchObject({ used: 0 });
  });

  it("holds every team to the operator's cap: a budget over it is refused, and one stored before the cap was lowered is cut to it", async () => {
    const useCaseId = await newUseCase();
    const settingsPath = `/v1/ai-use-cases/${useCaseId}/live-settings`;
    const body = await liveSettingsBody(api, sam.token, useCaseId);
    const refused = await api
      .as(sam.token)
      .put(settingsPath, { ...body, judgeCallsPerDay: 101 })
      .expect(400);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({
        field: 'judgeCallsPerDay',
        message: expect.stringContaining('at most 100 on this server'),
      }),
    ]);
    await api
      .as(sam.token)
      .put(settingsPath, { ...body, judgeCallsPerDay: 100 })
      .expect(200);
    // Chosen when the operator allowed more: what scoring spends (and the measures show) is the cap.
    await givenLiveSettings(api, useCaseId, { judgeCallsPerDay: 5_000 });
    expect(await judgeCalls(useCaseId)).toMatchObject({ used: 0, budget: 100 });
  });

  it('a panel of N judges costs N calls of the budget', async () => {
    const useCaseId = await newUseCase(highRiskRecord());
    await givenLiveSettings(api, useCaseId, { judgeCallsPerDay: 5 });
    const rows = traffic(useCaseId, ['Please.', 'No.', 'Please.']);
    await store(api, rows);
    const before = judge.requests;
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId: rows[0].batchId }, jobContext());

    expect(judge.requests - before).toBe(4);
    const panel = await verdicts(rows, 'panel');
    expect(panel.filter((s) => s.passed !== null)).toHaveLength(2);
    expect(panel.filter((s) => s.passed === null).map((s) => s.explanation)).toEqual([
      "the day's model-judge budget (5 calls) is spent",
    ]);
    expect(await judgeCalls(useCaseId)).toMatchObject({ used: 4, budget: 5 });
  });

  it('a judge that answers 500 or never answers: unscored with the reason, and the batch completes', async () => {
    const useCaseId = await newUseCase();
    await givenLiveSettings(api, useCaseId, { judgeCallsPerDay: 100 });
    judge.setOptions({ serverErrorRate: 1 });
    const failing = traffic(
      useCaseId,
      Array.from({ length: 10 }, () => 'Please.'),
    );
    await store(api, failing);
    const before = judge.requests;
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId: failing[0].batchId }, jobContext());

    const kind = await verdicts(failing, 'kind');
    expect(kind).toHaveLength(10);
    expect(kind.every((s) => s.passed === null && s.value === null)).toBe(true);
    const explanations = kind.map((s) => s.explanation ?? '');
    expect(explanations.some((e) => e.startsWith('the judge gave no verdict') && e.includes('500'))).toBe(
      true,
    );
    // After a few failures in a row the judge is not called again for this batch.
    expect(explanations.some((e) => e.includes('times in a row in this batch'))).toBe(true);
    const called = judge.requests - before;
    expect(called).toBeLessThan(10);
    expect(await judgeCalls(useCaseId)).toMatchObject({ used: called });
    expect(await verdicts(failing, 'pii')).toHaveLength(10);

    judge.setOptions({ serverErrorRate: 0, hangRate: 1 });
    const hanging = traffic(useCaseId, ['Please.']);
    await store(api, hanging);
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId: hanging[0].batchId }, jobContext());
    const [late] = await verdicts(hanging, 'kind');
    expect(late).toMatchObject({ passed: null, value: null });
    expect(late.explanation).toContain(`no answer within ${TIMEOUT_MS} ms`);
    const stored = await interactionsOf(api, useCaseId);
    expect(stored.every((r) => r.scoredAt instanceof Date)).toBe(true);
  });

  it('a job stopped while its judges are out writes nothing of the chunk; the next run scores it once', async () => {
    const useCaseId = await newUseCase();
    await givenLiveSettings(api, useCaseId, { judgeCallsPerDay: 100 });
    judge.setOptions({ latencyMs: 600 });
    const rows = traffic(useCaseId, ['Please.', 'No.']);
    await store(api, rows);
    const stopping = new AbortController();
    setTimeout(() => stopping.abort(), 100);
    await scoring.scoreBatch(
      { aiUseCaseId: useCaseId, batchId: rows[0].batchId },
      jobContext(stopping.signal),
    );
    expect(await verdicts(rows, 'pii')).toEqual([]);
    expect((await interactionsOf(api, useCaseId)).every((r) => r.scoredAt === null)).toBe(true);

    judge.setOptions({ latencyMs: 0 });
    await scoring.scoreBatch({ aiUseCaseId: useCaseId, batchId: rows[0].batchId }, jobContext());
    expect((await verdicts(rows, 'kind')).map((s) => s.passed)).toEqual(
      rows[0].id < rows[1].id ? [true, false] : [false, true],
    );
    expect((await interactionsOf(api, useCaseId)).every((r) => r.scoredAt instanceof Date)).toBe(true);
  });
});
