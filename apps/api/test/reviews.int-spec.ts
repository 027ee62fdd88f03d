import { ReviewRepository, UnitOfWork } from '@gatehouse/persistence';
import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  type StubRequestBody,
} from '@gatehouse/testing';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

jest.setTimeout(120_000);

const ITEMS = 30;
/** The target answers "no" (wrong) to every fifth question, "yes" (right) to the rest. */
const wrong = (k: number) => k % 5 === 0;
/** The judge fails the wrong answers, and also every seventh right one ("too terse"): it disagrees there. */
const judgeScore = (k: number, answer: string) => (answer !== 'yes' ? 1 : k % 7 === 0 ? 2 : 5);
const BANDS = ['a', 'b', 'c'];

function reply(body: StubRequestBody): string {
  const system = body.messages[0]?.content ?? '';
  const user = body.messages.at(-1)?.content ?? '';
  if (system.startsWith('You are an impartial assessor')) {
    const k = Number(/Question:\n<<<BEGIN QUESTION \w+>>>\nquestion (\d+)/.exec(user)?.[1]);
    const answer = /<<<BEGIN ANSWER (\w+)>>>\n([\s\S]*)\n<<<END ANSWER \1>>>/.exec(user)?.[2].trim() ?? '';
    const score = judgeScore(k, answer);
    return JSON.stringify({
      score,
      reasoning: `Question ${k}: graded ${score} because the answer is "${answer}".`,
    });
  }
  const k = Number(/question (\d+)/.exec(user)?.[1]);
  return wrong(k) ? 'no' : 'yes';
}

const SUITE_YAML = [
  'name: reviewed',
  'version: 1',
  'dataset: reviewed-questions@1',
  'target: { type: openai, model: stub-model, connection: stub }',
  'scorers:',
  '  - { type: equals, name: correct }',
  '  - type: rubric_judge',
  '    name: quality',
  '    rubric: The answer is right and complete.',
  '    judge: { model: judge-model, connection: stub }',
  'groupBy: [band]',
  'minGroupSize: 2',
  'concurrency: 6',
].join('\n');

/** An export's lines, parsed. */
const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

interface Problem {
  errors: { field: string; message: string }[];
}
const fields = (body: Problem) => [...new Set(body.errors.map((e) => e.field))].sort();

/**
 * Issue 14 through the API: review samples of a completed run with a model judge, blind item review,
 * revisions, JSONL export and import, and who may do what. One run, shared by every test.
 */
describeIntegration('review samples and blind item review (API)', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let owner: TestUser;
  let eve: TestUser;
  let mallory: TestUser;
  let ada: TestUser;
  let rita: TestUser;
  let rob: TestUser;
  let runId: string;
  let sampleId: string;
  let failedShare: { sampled: number; population: number }[];

  const samplesOf = (run: string) => `/v1/runs/${run}/review-samples`;
  const itemUrl = (position: number, sample = sampleId) => `/v1/review-samples/${sample}/items/${position}`;
  const verdicts = (agree: boolean) => ({ correct: { agree }, quality: { agree } });
  const storedReviews = () =>
    api.app.get(UnitOfWork).read((tx) => api.app.get(ReviewRepository).reviews(tx, [sampleId]));
  /** The caller's JSONL export, as text (supertest buffers only the media types it knows). */
  const exportAs = (user: TestUser) =>
    api
      .as(user.token)
      .get(`/v1/review-samples/${sampleId}/reviews.jsonl`)
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done(null, text));
      })
      .expect(200);
  const auditOf = async (subjectId: string) =>
    (await api.admin.get(`/v1/audit-events?subjectId=${subjectId}&limit=200`).expect(200)).body.items as {
      action: string;
      after: Record<string, unknown>;
    }[];

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: reply });
    api = await TestApi.start({ GATEHOUSE_ITEM_CONCURRENCY: '6' });
    await api.connection('stub', stub.url);
    owner = await api.user('Owen', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    mallory = await api.user('Mallory', ['engineer'], 'Tax');
    ada = await api.user('Ada', ['admin'], null);
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    rob = await api.user('Rob', ['reviewer'], 'Assurance');
    await api
      .as(eve.token)
      .upload(
        '/v1/datasets?name=reviewed-questions',
        jsonl(questionItems(ITEMS, { metadata: (k) => ({ band: BANDS[k % 3] }) })),
        'application/x-ndjson',
      )
      .expect(201);
    await api.as(eve.token).upload('/v1/suites', SUITE_YAML, 'application/yaml').expect(201);
    // A draft (proposed) use case of Benefits: its runs are hidden from other teams.
    const useCase = await api
      .as(owner.token)
      .post('/v1/ai-use-cases', { record: lowRiskRecord() })
      .expect(201);
    const started = await api
      .as(eve.token)
      .post('/v1/runs', { suite: 'reviewed@1', aiUseCaseId: useCase.body.id })
      .expect(202);
    const run = await api.waitForRun(started.body.id, eve.token);
    if (run.status !== 'completed' || run.progress.errored !== 0) {
      throw new Error(`the shared run ended ${run.status}: ${JSON.stringify(run.progress)} ${run.error}`);
    }
    runId = run.id;
    const drawn = await api
      .as(rita.token)
      .post(samplesOf(runId), { size: 12, seed: 42, groupKey: 'band' })
      .expect(201);
    sampleId = drawn.body.id;
    failedShare = [true, false].map((failed) => {
      const strata = (drawn.body.strata as { failed: boolean; drawn: number; population: number }[]).filter(
        (s) => s.failed === failed,
      );
      return {
        sampled: strata.reduce((sum, s) => sum + s.drawn, 0),
        population: strata.reduce((sum, s) => sum + s.population, 0),
      };
    });
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  describe('drawing a sample', () => {
    it('stratifies by verdict and group, records the design and seed, and over-weights failures', async () => {
      const { body } = await api.as(rita.token).get(`/v1/review-samples/${sampleId}`).expect(200);
      expect(body).toMatchObject({
        runId,
        size: 12,
        population: ITEMS,
        design: { size: 12, seed: 42, groupKey: 'band', failureWeight: 3, judgedWeight: 2 },
        suite: { name: 'reviewed', version: 1 },
        createdBy: rita.id,
        progress: { reviewedItems: 0, reviewedByYou: 0, nextForYou: 1 },
      });
      expect(body.hash).toMatch(/^[0-9a-f]{64}$/);
      const strata = body.strata as { key: string; group: string; drawn: number; population: number }[];
      expect(new Set(strata.map((s) => s.group))).toEqual(new Set(BANDS));
      expect(strata.reduce((sum, s) => sum + s.population, 0)).toBe(ITEMS);
      expect(strata.reduce((sum, s) => sum + s.drawn, 0)).toBe(12);
      // 10 of 30 items failed (6 wrong answers, 4 the judge failed): with weight 3 they are drawn at a
      // higher rate than the 20 that passed.
      const [failed, passed] = failedShare;
      expect(failed.population).toBe(10);
      expect(passed.population).toBe(20);
      expect(failed.sampled / failed.population).toBeGreaterThan(passed.sampled / passed.population);
    });

    it('draws the same items, with the same hash, for the same seed; another seed draws others', async () => {
      const first = await api.as(rita.token).get(`/v1/review-samples/${sampleId}`).expect(200);
      const again = await api
        .as(rob.token)
        .post(samplesOf(runId), { size: 12, seed: 42, groupKey: 'band' })
        .expect(201);
      expect(again.body.id).not.toBe(sampleId);
      expect(again.body.hash).toBe(first.body.hash);
      expect(again.body.strata).toEqual(first.body.strata);
      const items = async (id: string) =>
        Promise.all(
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(
            async (p) => (await api.as(rob.token).get(itemUrl(p, id)).expect(200)).body.itemId as string,
          ),
        );
      expect(await items(again.body.id)).toEqual(await items(sampleId));
      const other = await api
        .as(rob.token)
        .post(samplesOf(runId), { size: 12, seed: 43, groupKey: 'band' })
        .expect(201);
      expect(other.body.hash).not.toBe(first.body.hash);
      const random = await api.as(rob.token).post(samplesOf(runId), { size: 5 }).expect(201);
      expect(Number.isSafeInteger(random.body.design.seed)).toBe(true);
      expect(random.body.design).toMatchObject({ groupKey: null, size: 5 });
      const listed = await api.as(rob.token).get(samplesOf(runId)).expect(200);
      expect(listed.body.items.map((s: { id: string }) => s.id)).toEqual([
        sampleId,
        again.body.id,
        other.body.id,
        random.body.id,
      ]);
    });

    it('refuses a bad design, naming every field', async () => {
      const bad = await api
        .as(rita.token)
        .post(samplesOf(runId), { size: 0, seed: -1, failureWeight: 21, judgedWeight: 'x', extra: true })
        .expect(400);
      expect(fields(bad.body)).toEqual(['extra', 'failureWeight', 'judgedWeight', 'seed', 'size']);
      const huge = await api
        .as(rita.token)
        .post(samplesOf(runId), { size: 1e12, seed: 2 ** 60 })
        .expect(400);
      expect(fields(huge.body)).toEqual(['seed', 'size']);
      const group = await api
        .as(rita.token)
        .post(samplesOf(runId), { size: 3, groupKey: 'nope' })
        .expect(400);
      expect(group.body.errors).toEqual([
        expect.objectContaining({ field: 'groupKey', message: expect.stringContaining('band') }),
      ]);
      const proto = await api
        .as(rita.token)
        .post(samplesOf(runId))
        .set('Content-Type', 'application/json')
        .send('{"size": 3, "__proto__": {"size": 5}}')
        .expect(400);
      expect(fields(proto.body)).toEqual(['__proto__']);
    });

    it('samples only a completed run: a run still going is a 409 saying to wait', async () => {
      stub.setOptions({ latencyMs: 2000 });
      try {
        const started = await api.as(eve.token).post('/v1/runs', { suite: 'reviewed@1' }).expect(202);
        const refused = await api.as(eve.token).post(samplesOf(started.body.id), { size: 3 }).expect(409);
        expect(refused.body.detail).toMatch(/only a completed run can be sampled.*Wait for it to finish/);
        await api.as(eve.token).post(`/v1/runs/${started.body.id}/cancel`, {}).expect(200);
      } finally {
        stub.reset();
      }
    });

    it('writes the draw to the audit log', async () => {
      const events = await auditOf(sampleId);
      expect(events).toContainEqual(
        expect.objectContaining({
          action: 'review_sample.drawn',
          after: expect.objectContaining({ runId, size: 12, population: ITEMS }),
        }),
      );
    });
  });

  describe('who may do what', () => {
    it('hides the sample of a draft use case from another team (404, never 403)', async () => {
      const as = api.as(mallory.token);
      await as.get(`/v1/review-samples/${sampleId}`).expect(404);
      await as.get(itemUrl(1)).expect(404);
      await as.get(`/v1/review-samples/${sampleId}/reviews.jsonl`).expect(404);
      await as.post(`${itemUrl(1)}/reviews`, { verdicts: verdicts(true) }).expect(404);
      await as.post(samplesOf(runId), { size: 3 }).expect(404);
      await as.get(samplesOf(runId)).expect(404);
    });

    it('lets an admin without the reviewer role see but neither draw nor review', async () => {
      await api.as(ada.token).get(`/v1/review-samples/${sampleId}`).expect(200);
      await api.as(ada.token).post(samplesOf(runId), { size: 3 }).expect(403);
      await api
        .as(ada.token)
        .post(`${itemUrl(1)}/reviews`, { verdicts: verdicts(true) })
        .expect(403);
    });

    it('answers 401 before anything else, and 400 or 404 for ids that are not there', async () => {
      await api.http.get(`/v1/review-samples/${sampleId}`).expect(401);
      await api.http.post(samplesOf(runId)).send({ size: 3 }).expect(401);
      await api.as(rita.token).get('/v1/review-samples/not-a-uuid').expect(400);
      await api.as(rita.token).get('/v1/review-samples/00000000-0000-4000-8000-000000000000').expect(404);
      await api.as(rita.token).get(itemUrl(13)).expect(404);
      const zero = await api.as(rita.token).get(itemUrl(0)).expect(400);
      expect(fields(zero.body)).toEqual(['position']);
    });
  });

  describe('reviewing, blind', () => {
    const NOTE = 'Rita thinks <b>this</b> is fine';

    it("shows the item, the output, each scorer's verdict and the judge's reasoning", async () => {
      const { body } = await api.as(rita.token).get(itemUrl(1)).expect(200);
      const k = Number(/(\d+)$/.exec(body.itemId)?.[1]);
      expect(body).toMatchObject({
        sampleId,
        position: 1,
        total: 12,
        input: `question ${k}`,
        expected: 'yes',
        output: wrong(k) ? 'no' : 'yes',
        groups: { band: BANDS[k % 3] },
        yourReview: null,
        previous: null,
        next: 2,
        nextUnreviewed: 2,
      });
      expect(body.scorers).toEqual([
        expect.objectContaining({ metric: 'correct', scorer: 'equals', judge: false, passed: !wrong(k) }),
        expect.objectContaining({
          metric: 'quality',
          scorer: 'rubric_judge',
          judge: true,
          guardrail: false,
          passed: judgeScore(k, wrong(k) ? 'no' : 'yes') === 5,
          explanation: expect.stringContaining(`Question ${k}: graded`),
        }),
      ]);
    });

    it("never shows one reviewer another's review, on the item or in the export, until they give their own", async () => {
      const recorded = await api
        .as(rita.token)
        .post(`${itemUrl(1)}/reviews`, { verdicts: verdicts(true), note: NOTE })
        .expect(201);
      expect(recorded.body).toMatchObject({ revision: 1, supersedesId: null, note: NOTE, source: 'api' });
      const seenByRob = await api.as(rob.token).get(itemUrl(1)).expect(200);
      expect(seenByRob.body.yourReview).toBeNull();
      expect(JSON.stringify(seenByRob.body)).not.toContain('Rita thinks');
      const robsExport = await exportAs(rob);
      expect(robsExport.body).toBe('');
      // The audit log (which reviewers read) says a review was recorded, never what it said.
      const audit = await api
        .as(rob.token)
        .get(`/v1/audit-events?subjectId=${sampleId}&limit=200`)
        .expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('item_review.recorded');
      expect(JSON.stringify(audit.body)).not.toContain('Rita thinks');

      await api
        .as(rob.token)
        .post(`${itemUrl(1)}/reviews`, { verdicts: verdicts(false) })
        .expect(201);
      const after = await exportAs(rob);
      expect(after.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = jsonLines(after.body);
      expect(lines.map((l) => l.note)).toContain(NOTE);
      expect(lines).toHaveLength(2);
      const seenByRita = await api.as(rita.token).get(itemUrl(1)).expect(200);
      expect(seenByRita.body.yourReview).toMatchObject({ reviewerId: rita.id, note: NOTE });
      const sample = await api.as(rita.token).get(`/v1/review-samples/${sampleId}`).expect(200);
      expect(sample.body.progress).toMatchObject({ reviewedItems: 1, reviewedByYou: 1, nextForYou: 2 });
    });

    it('supersedes a review with the next revision, never editing the old one', async () => {
      const before = await api.as(rita.token).get(itemUrl(1)).expect(200);
      const first = before.body.yourReview;
      const second = await api
        .as(rita.token)
        .post(`${itemUrl(1)}/reviews`, {
          verdicts: { correct: { agree: false, correctedPassed: !before.body.scorers[0].passed } },
          supersedesId: first.id,
        })
        .expect(201);
      expect(second.body).toMatchObject({ revision: 2, supersedesId: first.id, note: null });
      const rows = (await storedReviews()).filter((r) => r.reviewerId === rita.id && r.position === 1);
      expect(rows.map((r) => [r.revision, r.note])).toEqual([
        [1, NOTE],
        [2, null],
      ]);
      const stale = await api
        .as(rita.token)
        .post(`${itemUrl(1)}/reviews`, { verdicts: verdicts(true), supersedesId: first.id })
        .expect(409);
      expect(fields(stale.body)).toEqual(['supersedesId']);
      const events = (await auditOf(sampleId)).filter((e) => e.action === 'item_review.recorded');
      expect(events.map((e) => e.after.reviewId)).toEqual(expect.arrayContaining([first.id, second.body.id]));
    });

    it('lets one of two concurrent first reviews win; the other is a 409', async () => {
      const send = () =>
        api.as(rob.token).post(`${itemUrl(2)}/reviews`, { verdicts: verdicts(true), supersedesId: null });
      const statuses = (await Promise.all([send(), send()])).map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409]);
      const rows = (await storedReviews()).filter((r) => r.reviewerId === rob.id && r.position === 2);
      expect(rows).toHaveLength(1);
    });

    it('refuses bad verdicts and notes, naming the field, and writes nothing', async () => {
      const count = (await storedReviews()).length;
      const post = (body: object) =>
        api
          .as(rob.token)
          .post(`${itemUrl(3)}/reviews`, body)
          .expect(400);
      expect(fields((await post({ verdicts: {} })).body)).toEqual(['verdicts']);
      expect(fields((await post({ verdicts: { nope: { agree: true } } })).body)).toEqual(['verdicts.nope']);
      expect(
        fields(
          (
            await post({
              verdicts: { correct: { correctedValue: 2, correctedLabel: 'x'.repeat(201), extra: 1 } },
              note: 'n'.repeat(4001),
            })
          ).body,
        ),
      ).toEqual([
        'note',
        'verdicts.correct.agree',
        'verdicts.correct.correctedLabel',
        'verdicts.correct.correctedValue',
        'verdicts.correct.extra',
      ]);
      const unsafe = await api
        .as(rob.token)
        .post(`${itemUrl(3)}/reviews`)
        .set('Content-Type', 'application/json')
        .send('{"verdicts": {"constructor": {"agree": true}, "__proto__": {"agree": true}}}')
        .expect(400);
      expect(fields(unsafe.body)[0]).toMatch(/^verdicts\.(constructor|__proto__)$/);
      expect((await storedReviews()).length).toBe(count);
    });

    it('counts a review by the owning team, but never as independent', async () => {
      await api
        .as(eve.token)
        .post(`${itemUrl(3)}/reviews`, { verdicts: verdicts(true) })
        .expect(201);
      const { body } = await api.as(eve.token).get(`/v1/review-samples/${sampleId}`).expect(200);
      expect(body.statistics.all.reviewers).toBe(body.statistics.independent.reviewers + 1);
      expect(body.statistics.all.reviewedItems).toBe(3);
      expect(body.statistics.independent.reviewedItems).toBe(2);
      expect(body.statistics.independentReviewsHash).not.toBe(body.statistics.reviewsHash);
      // Current revisions only: Rita's second review of item 1 left `quality` out, so her first no longer counts
      // there. quality: Rob on 1 and 2, Eve on 3; correct: Rita and Rob on 1, Rob on 2, Eve on 3.
      const metric = (which: 'all' | 'independent', name: string) =>
        body.statistics[which].metrics.find((m: { metric: string }) => m.metric === name);
      expect([metric('all', 'quality').reviews, metric('independent', 'quality').reviews]).toEqual([3, 2]);
      expect([metric('all', 'correct').reviews, metric('independent', 'correct').reviews]).toEqual([4, 3]);
      expect(metric('all', 'correct').humanVsHuman.items).toBe(1);
      expect(metric('all', 'quality')).toMatchObject({ judge: true, scorer: 'rubric_judge' });
      expect(metric('all', 'quality').humanVsScorer.n).toBe(3);
    });
  });

  describe('JSONL export and import', () => {
    const importAs = (user: TestUser, text: string, type = 'application/x-ndjson') =>
      api.as(user.token).upload(`/v1/review-samples/${sampleId}/reviews.jsonl`, text, type);

    it('round-trips: an export imported into the same sample as another rater', async () => {
      const exported = await exportAs(rita);
      const lines = jsonLines(exported.body);
      expect(lines.length).toBeGreaterThanOrEqual(2);
      // Each exported review re-rated by a rater of its own (one line per item and rater).
      const rater = (i: number) => `Pat Elsewhere ${i + 1}`;
      const relabelled = lines.map((line, i) => JSON.stringify({ ...line, reviewer: rater(i) })).join('\n');
      const imported = await importAs(rita, relabelled, 'text/plain').expect(201);
      expect(imported.body).toEqual({ imported: lines.length });
      const again = await exportAs(rita);
      const rows = jsonLines(again.body);
      lines.forEach((line, i) => {
        expect(rows).toContainEqual(
          expect.objectContaining({ reviewer: rater(i), position: line.position, verdicts: line.verdicts }),
        );
      });
      const stored = (await storedReviews()).filter((r) => r.rater?.startsWith('Pat Elsewhere'));
      expect(stored.map((r) => r.reviewerKey).sort()).toEqual(
        lines.map((_, i) => `import:${rita.id}:${rater(i)}`).sort(),
      );
      expect(stored.every((r) => r.source === 'import' && r.reviewerId === rita.id)).toBe(true);
      const events = await auditOf(sampleId);
      expect(events).toContainEqual(
        expect.objectContaining({
          action: 'item_review.imported',
          after: expect.objectContaining({ imported: lines.length }),
        }),
      );
    });

    it('refuses the whole file when any line is bad, naming each line', async () => {
      const count = (await storedReviews()).length;
      const text = [
        JSON.stringify({ position: 4, reviewer: 'Kim', verdicts: { correct: { agree: true } } }),
        JSON.stringify({ position: 99, reviewer: 'Kim', verdicts: { correct: { agree: true } } }),
        JSON.stringify({ position: 5, verdicts: { correct: { agree: true } } }),
        '{not json',
        JSON.stringify({ itemId: 'q-999', reviewer: 'Kim', verdicts: { correct: { agree: true } } }),
        JSON.stringify({ position: 6, reviewer: 'Kim', verdicts: { made_up: { agree: true } } }),
        JSON.stringify({ position: 4, reviewer: 'Kim', verdicts: { correct: { agree: false } } }),
        '',
        '{"position": 7, "reviewer": "Kim", "verdicts": {"__proto__": {"agree": true}}}',
      ].join('\n');
      const refused = await importAs(rita, text).expect(400);
      expect(fields(refused.body)).toEqual(
        [
          'lines[2].position',
          'lines[3].reviewer',
          'lines[4]',
          'lines[5].itemId',
          'lines[6].verdicts.made_up',
          'lines[7].reviewer',
          'lines[9].verdicts.__proto__',
        ].sort(),
      );
      expect((await storedReviews()).length).toBe(count);
    });

    it('refuses more than 10,000 lines before reading any of them', async () => {
      const refused = await importAs(rita, '{}\n'.repeat(10_001)).expect(400);
      expect(refused.body.errors).toEqual([
        expect.objectContaining({ field: '(body)', message: expect.stringContaining('10000') }),
      ]);
    });

    it("counts an import by the owning team's member, but never as independent", async () => {
      const before = (await api.as(eve.token).get(`/v1/review-samples/${sampleId}`).expect(200)).body;
      const line = { position: 5, reviewer: 'A Benefits colleague', verdicts: { correct: { agree: true } } };
      await importAs(eve, JSON.stringify(line)).expect(201);
      const after = (await api.as(eve.token).get(`/v1/review-samples/${sampleId}`).expect(200)).body;
      expect(after.statistics.all.reviewers).toBe(before.statistics.all.reviewers + 1);
      expect(after.statistics.independent.reviewers).toBe(before.statistics.independent.reviewers);
      expect(after.statistics.independentReviewsHash).toBe(before.statistics.independentReviewsHash);
    });

    it('imports the most lines a file may hold, 10,000, in one go', async () => {
      const count = (await storedReviews()).length;
      const text = Array.from({ length: 10_000 }, (_, i) =>
        JSON.stringify({
          position: (i % 12) + 1,
          reviewer: `Panel rater ${Math.floor(i / 12)}`,
          verdicts: { correct: { agree: i % 3 !== 0 } },
        }),
      ).join('\n');
      const started = Date.now();
      await importAs(rob, text).expect(201, { imported: 10_000 });
      // Chunked inserts: seconds at most, not one round trip per line holding the write lock.
      expect(Date.now() - started).toBeLessThan(20_000);
      expect((await storedReviews()).length).toBe(count + 10_000);
    });

    it('refuses an import over the size cap with 413, and JSON bodies with 415', async () => {
      const line = JSON.stringify({ position: 1, reviewer: 'Big', verdicts: { correct: { agree: true } } });
      const big = `${line}\n`.repeat(Math.ceil((17 * 1024 * 1024) / (line.length + 1)));
      const response = await importAs(rita, big).expect(413);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      await api
        .as(rita.token)
        .post(`/v1/review-samples/${sampleId}/reviews.jsonl`, { position: 1 })
        .expect(415);
      await api
        .as(ada.token)
        .upload(`/v1/review-samples/${sampleId}/reviews.jsonl`, line, 'text/plain')
        .expect(403);
    });
  });
});
