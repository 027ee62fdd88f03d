import { type DrawnSample, reviewSampleHash } from '@gatehouse/domain';
import { ReviewRepository, UnitOfWork } from '@gatehouse/persistence';
import { describeIntegration, type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import { givenJudgedUseCaseAtTest, judgedReply } from '../support/judged';
import { TestApi, type TestUser } from '../support/test-api';
import { signIn, type WebClient } from '../support/web';

jest.setTimeout(240_000);

const ITEMS = 20;
/** The target answers "no" (wrong) to every fifth question and "yes" to the rest. */
const wrong = (k: number) => k % 5 === 0;

/** A passing run of `attacked` and one approval everywhere; high → learn also asks the judge to agree with people. */
function policy() {
  const gates = (['low', 'medium', 'high'] as const).flatMap((tier) =>
    (['test', 'learn', 'scale'] as const).map((to) => ({
      tier,
      to,
      rules: [
        { kind: 'suite_passed', suite: 'attacked', maxAgeDays: 30 },
        ...(tier === 'high' && to === 'learn'
          ? [{ kind: 'judge_agreement', suite: 'attacked', statistic: 'kappa', minLower: 0.4, minItems: 10 }]
          : []),
        { kind: 'approvals', count: 1, role: 'reviewer' },
      ],
    })),
  );
  return { description: 'the judge must agree with independent people before a high-tier pilot', gates };
}

interface Rule {
  verdict: string;
  reason: string;
  runId: string | null;
  rule: { kind: string };
}
interface Evaluation {
  id: string;
  hash: string;
  verdict: string;
  rules: Rule[];
  reviewsUsed: { sampleId: string; runId: string; reviewedItems: number; reviewers: number }[];
}
interface Problem {
  detail?: string;
  errors: { field: string; message: string; code?: string }[];
}
const fields = (body: Problem) => [...new Set(body.errors.map((e) => e.field))].sort();
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Issue 14 attacked: the owning team trying to game the review gate (fake raters, shopping among samples,
 * a reviewer moved into the team, an older run's reviews), reviewers trying to peek at each other's labels
 * before giving their own, hostile input to every review route, and edits of what is never edited.
 */
describeIntegration('review samples and reviews under attack', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let owner: TestUser;
  let eve: TestUser;
  let rita: TestUser;
  let rob: TestUser;
  let vic: TestUser;
  let ada: TestUser;
  let useCaseId: string;
  let runId: string;

  const samplesOf = (run: string) => `/v1/runs/${run}/review-samples`;
  const itemUrl = (sample: string, position: number | string) =>
    `/v1/review-samples/${sample}/items/${position}`;
  const draw = async (user: TestUser, body: object, run = runId) =>
    (await api.as(user.token).post(samplesOf(run), body).expect(201)).body as { id: string; hash: string };
  const importAs = (user: TestUser, sample: string, text: string, type = 'application/x-ndjson') =>
    api.as(user.token).upload(`/v1/review-samples/${sample}/reviews.jsonl`, text, type);
  const exportAs = async (user: TestUser, sample: string) =>
    (
      await api
        .as(user.token)
        .get(`/v1/review-samples/${sample}/reviews.jsonl`)
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => done(null, text));
        })
        .expect(200)
    ).body as string;
  const stored = (sampleIds: string[]) =>
    api.app.get(UnitOfWork).read((tx) => api.app.get(ReviewRepository).reviews(tx, sampleIds));
  /** The judge's verdict on each position of a sample. */
  const judgeOf = async (sample: string, size: number) => {
    const passed = new Map<number, boolean>();
    for (const position of range(1, size)) {
      const { body } = await api.as(rita.token).get(itemUrl(sample, position)).expect(200);
      const quality = (body.scorers as { metric: string; passed: boolean }[]).find(
        (s) => s.metric === 'quality',
      );
      passed.set(position, quality?.passed === true);
    }
    return passed;
  };
  /** `reviewer` reviews `positions` of `sample`, agreeing with the judge or not. */
  const review = async (reviewer: TestUser, sample: string, positions: number[], agree: boolean) => {
    for (const position of positions) {
      await api
        .as(reviewer.token)
        .post(`${itemUrl(sample, position)}/reviews`, { verdicts: { quality: { agree } } })
        .expect(201);
    }
  };
  const evaluate = async (): Promise<{ status: number; body: Evaluation; judge: Rule }> => {
    const response = await api
      .as(owner.token)
      .post(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'learn' });
    if (response.status !== 201 && response.status !== 200) {
      throw new Error(`evaluation: ${response.status} ${JSON.stringify(response.body)}`);
    }
    const body = response.body as Evaluation;
    const judge = body.rules.find((r) => r.rule.kind === 'judge_agreement');
    if (!judge) {
      throw new Error('the evaluation has no judge_agreement rule');
    }
    return { status: response.status, body, judge };
  };

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: judgedReply((k) => !wrong(k)) });
    api = await TestApi.start();
    await api.connection('stub', stub.url);
    owner = await api.user('Owen', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    rob = await api.user('Rob', ['reviewer'], 'Assurance');
    vic = await api.user('Vic', ['reviewer'], 'Assurance');
    ada = await api.user('Ada', ['admin'], null);
    await api.admin.post('/v1/gate-policies', policy()).expect(201);
    ({ useCaseId, runId } = await givenJudgedUseCaseAtTest(
      api,
      { owner, engineer: eve, reviewers: [rita] },
      'attacked',
      ITEMS,
      { equals: true },
    ));
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  describe('gaming the gate from the owning team', () => {
    let teamSample: string;
    let ritaSample: string;
    let convenient: string;
    let judge: Map<number, boolean>;

    it('counts none of the fake "raters" a team member imports, however many, toward the gate', async () => {
      teamSample = (await draw(eve, { size: ITEMS, seed: 1 })).id;
      const raters = range(1, 25).map((r) => `Independent Panel ${r}`);
      const text = raters
        .flatMap((rater) =>
          range(1, ITEMS).map((position) =>
            JSON.stringify({ position, reviewer: rater, verdicts: { quality: { agree: true } } }),
          ),
        )
        .join('\n');
      await importAs(eve, teamSample, text).expect(201, { imported: 25 * ITEMS });
      const sample = (await api.as(eve.token).get(`/v1/review-samples/${teamSample}`).expect(200)).body;
      expect(sample.statistics.all.reviewers).toBe(25);
      expect(sample.statistics.independent).toMatchObject({ reviewers: 0, reviewedItems: 0 });
      const evaluation = await evaluate();
      expect(evaluation.judge.verdict).toBe('missing');
      expect(evaluation.judge.reason).toContain('checked against people on 0 items; 10 needed');
    });

    it('judges by the most-reviewed independent sample, not one the team picked among many draws', async () => {
      const drawn = [];
      for (const seed of [2, 3, 4, 5]) {
        drawn.push((await draw(owner, { size: ITEMS, seed })).id);
      }
      [ritaSample, , convenient] = drawn;
      judge = await judgeOf(ritaSample, ITEMS);
      const judgeConvenient = await judgeOf(convenient, ITEMS);
      // Rita reads 12 items of one sample the opposite way to the judge; Rob agrees with it on 10 of another.
      for (const position of range(1, 12)) {
        await api
          .as(rita.token)
          .post(`${itemUrl(ritaSample, position)}/reviews`, {
            verdicts: { quality: { agree: false, correctedPassed: !judge.get(position) } },
          })
          .expect(201);
      }
      await review(rob, convenient, range(1, 10), true);
      expect(judgeConvenient.size).toBe(ITEMS);
      const first = await evaluate();
      expect(first.judge.verdict).toBe('fail');
      expect(first.body.reviewsUsed.map((r) => r.sampleId)).toEqual([ritaSample]);
      // The team piles its own reviews onto the sample it likes: they never count, so nothing changes.
      await review(eve, convenient, range(1, ITEMS), true);
      await review(owner, convenient, range(1, ITEMS), true);
      const again = await evaluate();
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect(again.body.reviewsUsed.map((r) => r.sampleId)).toEqual([ritaSample]);
    });

    it('stops counting a reviewer once moved into the owning team, and verification says so', async () => {
      // Vic completes the convenient sample, agreeing with the judge: now it is the most reviewed, and passes.
      await review(vic, convenient, range(11, ITEMS), true);
      const passing = await evaluate();
      expect(passing.status).toBe(201);
      expect(passing.judge.verdict).toBe('pass');
      expect(passing.body.reviewsUsed).toEqual([
        expect.objectContaining({ sampleId: convenient, reviewedItems: ITEMS, reviewers: 2 }),
      ]);
      const benefits = await api.team('Benefits');
      await api.admin.patch(`/v1/users/${vic.id}`, { teamId: benefits }).expect(200);
      const after = await evaluate();
      expect(after.status).toBe(201);
      expect(after.body.hash).not.toBe(passing.body.hash);
      expect(after.judge.verdict).toBe('fail');
      expect(after.body.reviewsUsed.map((r) => r.sampleId)).toEqual([ritaSample]);
      const verified = await api
        .as(rita.token)
        .get(`/v1/gate-evaluations/${passing.body.id}/verification`)
        .expect(200);
      expect(verified.body.matches).toBe(false);
      expect(verified.body.differences).toContain(`the independent reviews of review sample ${convenient}`);
      // Vic's reviews are still on the sample, counted among everyone's.
      const sample = (await api.as(vic.token).get(`/v1/review-samples/${convenient}`).expect(200)).body;
      expect(sample.progress.reviewedByYou).toBe(10);
      expect(sample.statistics.independent.reviewers).toBe(1);
    });

    it('reads no review of an older run once a newer run of the suite is the evidence', async () => {
      const started = await api
        .as(eve.token)
        .post('/v1/runs', { suite: 'attacked@1', aiUseCaseId: useCaseId })
        .expect(202);
      const run = await api.waitForRun(started.body.id, eve.token);
      expect(run.status).toBe('completed');
      const evaluation = await evaluate();
      expect(evaluation.judge).toMatchObject({ verdict: 'missing', runId: run.id });
      expect(evaluation.judge.reason).toContain(`no review sample of run ${run.id}`);
      expect(evaluation.body.reviewsUsed).toEqual([]);
      // A sample of the new run is read; reviews of the old run's samples are not carried over.
      const fresh = (await draw(rita, { size: ITEMS, seed: 2 }, run.id)).id;
      const withSample = await evaluate();
      expect(withSample.body.reviewsUsed).toEqual([
        expect.objectContaining({ sampleId: fresh, runId: run.id, reviewedItems: 0 }),
      ]);
    });

    it('does not count the reviews of a reviewer who started the run, even an admin outside the team', async () => {
      const sam = await api.user('Sam', ['admin', 'engineer', 'reviewer'], 'Assurance');
      const started = await api
        .as(sam.token)
        .post('/v1/runs', { suite: 'attacked@1', aiUseCaseId: useCaseId })
        .expect(202);
      const run = await api.waitForRun(started.body.id, sam.token);
      expect(run.status).toBe('completed');
      const sample = (await draw(sam, { size: ITEMS, seed: 3 }, run.id)).id;
      await review(sam, sample, range(1, ITEMS), true);
      const evaluation = await evaluate();
      expect(evaluation.judge).toMatchObject({ verdict: 'missing', runId: run.id });
      expect(evaluation.judge.reason).toContain('checked against people on 0 items; 10 needed');
      const view = (await api.as(sam.token).get(`/v1/review-samples/${sample}`).expect(200)).body;
      expect(view.statistics.all.reviewers).toBe(1);
      expect(view.statistics.independent.reviewers).toBe(0);
    });

    it('reads no sample of a run against a target the use case no longer has', async () => {
      await api
        .as(eve.token)
        .put(`/v1/ai-use-cases/${useCaseId}/target`, {
          target: { type: 'openai', model: 'stub-model-2', connection: 'stub' },
          reason: 'a new model',
        })
        .expect(200);
      const evaluation = await evaluate();
      expect(evaluation.judge).toMatchObject({ verdict: 'missing', runId: null });
      expect(evaluation.body.reviewsUsed).toEqual([]);
    });

    it('has no route that edits or deletes a sample or a review', async () => {
      const before = await stored([teamSample, ritaSample, convenient]);
      const review = before.find((r) => r.sampleId === ritaSample) ?? before[0];
      const as = api.as(owner.token);
      const http = api.http;
      const auth = { Authorization: `Bearer ${owner.token}` };
      const urls = [
        `/v1/review-samples/${ritaSample}`,
        itemUrl(ritaSample, 1),
        `${itemUrl(ritaSample, 1)}/reviews`,
        `${itemUrl(ritaSample, 1)}/reviews/${review.id}`,
        `/v1/review-samples/${ritaSample}/reviews.jsonl`,
        `/v1/reviews/${review.id}`,
      ];
      for (const url of urls) {
        await as.put(url, { verdicts: { quality: { agree: true } } }).expect(404);
        await as.patch(url, { verdicts: { quality: { agree: true } } }).expect(404);
        await http.delete(url).set(auth).expect(404);
      }
      const after = await stored([teamSample, ritaSample, convenient]);
      expect(after.map((r) => [r.id, r.revision, r.verdicts, r.note])).toEqual(
        before.map((r) => [r.id, r.revision, r.verdicts, r.note]),
      );
    });
  });

  describe('peeking at a colleague’s labels', () => {
    const SECRET = 'ROB-SECRET-NOTE';
    let sampleId: string;
    let robsReview: { id: string };

    beforeAll(async () => {
      sampleId = (await draw(rita, { size: 6, seed: 9 })).id;
      robsReview = (
        await api
          .as(rob.token)
          .post(`${itemUrl(sampleId, 1)}/reviews`, {
            verdicts: { correct: { agree: false }, quality: { agree: false } },
            note: SECRET,
          })
          .expect(201)
      ).body;
      await importAs(
        rob,
        sampleId,
        JSON.stringify({
          position: 2,
          reviewer: 'Shadow',
          verdicts: { correct: { agree: false } },
          note: SECRET,
        }),
      ).expect(201);
    });

    it('shows nothing of it on any JSON route a reviewer can read before reviewing the item', async () => {
      const as = api.as(rita.token);
      const bodies = [
        (await as.get(itemUrl(sampleId, 1)).expect(200)).body,
        (await as.get(itemUrl(sampleId, 2)).expect(200)).body,
        (await as.get(`/v1/review-samples/${sampleId}`).expect(200)).body,
        (await as.get(samplesOf(runId)).expect(200)).body,
        (await as.get(`/v1/audit-events?subjectId=${sampleId}&limit=200`).expect(200)).body,
        await exportAs(rita, sampleId),
      ];
      for (const body of bodies) {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        expect(text).not.toContain(SECRET);
        expect(text).not.toMatch(/"agree"|"correctedPassed"/);
      }
      expect(bodies[0].yourReview).toBeNull();
      // The audit trail says that Rob reviewed item 1 and which metrics, never what he said.
      const recorded = (bodies[4].items as { action: string; after: Record<string, unknown> }[]).find(
        (e) => e.action === 'item_review.recorded',
      );
      expect(Object.keys(recorded?.after ?? {}).sort()).toEqual(
        ['epoch', 'itemId', 'metrics', 'position', 'reviewId', 'revision', 'source', 'supersedesId'].sort(),
      );
    });

    it('shows nothing of it on the pages either', async () => {
      const web: WebClient = await signIn(api, rita.token);
      for (const url of [
        `/review-samples/${sampleId}`,
        `/review-samples/${sampleId}/items/1`,
        `/review-samples/${sampleId}/items/2`,
        `/runs/${runId}`,
        `/review-samples/${sampleId}/reviews.jsonl`,
      ]) {
        const page = await web.get(url);
        expect(page.status).toBe(200);
        expect(page.text).not.toContain(SECRET);
        expect(page.text).not.toContain(robsReview.id);
      }
    });

    it('does not unlock others’ reviews of an item by importing a review of it instead of giving one', async () => {
      await importAs(
        rita,
        sampleId,
        JSON.stringify({ position: 1, reviewer: 'Pat', verdicts: { correct: { agree: true } } }),
      ).expect(201);
      const lines = (await exportAs(rita, sampleId))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { reviewer: string; note: string | null });
      expect(lines.map((l) => l.reviewer)).toEqual(['Pat']);
      expect(JSON.stringify(lines)).not.toContain(SECRET);
    });

    it('gives nothing of it away in a refusal: a stale supersedesId or an item out of range', async () => {
      const stale = await api
        .as(rita.token)
        .post(`${itemUrl(sampleId, 1)}/reviews`, {
          verdicts: { correct: { agree: true } },
          supersedesId: robsReview.id,
        })
        .expect(409);
      expect(fields(stale.body)).toEqual(['supersedesId']);
      expect(stale.body.detail).toMatch(/You have not reviewed this item yet/);
      const missing = await api
        .as(rita.token)
        .post(`${itemUrl(sampleId, 7)}/reviews`, { verdicts: { correct: { agree: true } } })
        .expect(404);
      for (const body of [stale.body, missing.body]) {
        expect(JSON.stringify(body)).not.toContain(SECRET);
        expect(JSON.stringify(body).replace(robsReview.id, '')).toBe(JSON.stringify(body));
      }
    });

    it('does not count a review twice when a reviewer imports back the export that showed it to them', async () => {
      // Rita reviews item 1, so her export now holds Rob's review of it, and her own.
      await api
        .as(rita.token)
        .post(`${itemUrl(sampleId, 1)}/reviews`, { verdicts: { correct: { agree: true } } })
        .expect(201);
      const exported = await exportAs(rita, sampleId);
      const lines = exported.trim().split('\n');
      expect(lines.map((line) => (JSON.parse(line) as { reviewer: string }).reviewer).sort()).toEqual(
        ['Pat', 'Rita', 'Rob'].sort(),
      );
      const before = (await api.as(rita.token).get(`/v1/review-samples/${sampleId}`).expect(200)).body;
      const refused = await importAs(rita, sampleId, exported).expect(400);
      expect(refused.body.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            field: expect.stringMatching(/^lines\[\d\]\.reviewer$/),
            code: 'duplicate',
          }),
        ]),
      );
      expect(refused.body.errors).toHaveLength(2);
      expect(JSON.stringify(refused.body)).not.toContain(SECRET);
      // Pat is Rita's own import: importing it again is its next revision, not a second rater.
      const pat = lines.find((line) => line.includes('"Pat"')) ?? '';
      await importAs(rita, sampleId, pat).expect(201, { imported: 1 });
      const after = (await api.as(rita.token).get(`/v1/review-samples/${sampleId}`).expect(200)).body;
      expect(after.statistics.independent.reviewers).toBe(before.statistics.independent.reviewers);
      // Under another name the same labels are taken as another person's (the importer answers for them).
      const renamed = lines
        .filter((line) => line.includes('"Rob"'))
        .map((line) => line.replace('"Rob"', '"Robin Elsewhere"'));
      await importAs(rita, sampleId, renamed.join('\n')).expect(201, { imported: 1 });
    });

    it('lets an engineer of another team read a sample of a visible use case, but neither draw, review nor import', async () => {
      const mallory = await api.user('Mallory', ['engineer'], 'Tax');
      const as = api.as(mallory.token);
      await as.get(`/v1/review-samples/${sampleId}`).expect(200);
      await as.post(samplesOf(runId), { size: 2 }).expect(403);
      await as
        .post(`${itemUrl(sampleId, 3)}/reviews`, { verdicts: { correct: { agree: true } } })
        .expect(403);
      await importAs(
        mallory,
        sampleId,
        JSON.stringify({ position: 3, reviewer: 'Tax', verdicts: { correct: { agree: true } } }),
      ).expect(403);
      expect(await exportAs(mallory, sampleId)).toBe('');
    });

    it('lets an admin without the reviewer role neither import nor read past the blind export', async () => {
      await importAs(
        ada,
        sampleId,
        JSON.stringify({ position: 1, reviewer: 'Ada', verdicts: { correct: { agree: true } } }),
      ).expect(403);
      expect(await exportAs(ada, sampleId)).toBe('');
    });
  });

  describe('hostile input', () => {
    let sampleId: string;

    beforeAll(async () => {
      sampleId = (await draw(rita, { size: 8, seed: 11 })).id;
    });

    it('refuses positions that are not whole numbers in range, on the API (400) and the pages (404)', async () => {
      const web = await signIn(api, rita.token);
      for (const position of [
        '0',
        '-1',
        '1e309',
        '9007199254740992',
        '1.5',
        'NaN',
        'Infinity',
        'abc',
        '-0',
      ]) {
        const refused = await api.as(rita.token).get(itemUrl(sampleId, position)).expect(400);
        expect(fields(refused.body)).toEqual(['position']);
        await api
          .as(rita.token)
          .post(`${itemUrl(sampleId, position)}/reviews`, { verdicts: { correct: { agree: true } } })
          .expect(400);
        expect((await web.get(`/review-samples/${sampleId}/items/${position}`)).status).toBe(404);
      }
      await api.as(rita.token).get(itemUrl(sampleId, 9)).expect(404);
    });

    it('refuses sample and run ids that are not UUIDs', async () => {
      const web = await signIn(api, rita.token);
      for (const id of ['1', "1' OR '1'='1", '..%2F..%2Fetc', '00000000-0000-4000-8000-00000000000g']) {
        const as = api.as(rita.token);
        await as.get(`/v1/review-samples/${id}`).expect(400);
        await as.get(itemUrl(id, 1)).expect(400);
        await as.get(`/v1/review-samples/${id}/reviews.jsonl`).expect(400);
        await importAs(rita, id, '{}').expect(400);
        await as.post(samplesOf(id), { size: 1 }).expect(400);
        expect((await web.get(`/review-samples/${id}`)).status).toBe(404);
      }
    });

    it('imports a file with a byte-order mark, CRLF line ends and blank lines, counting lines as written', async () => {
      const line = (position: number, rater: string) =>
        JSON.stringify({ position, reviewer: rater, verdicts: { correct: { agree: true } } });
      const text = `\uFEFF${line(1, 'Windows')}\r\n\r\n${line(2, 'Windows')}\r\n   \r\n${line(3, 'Windows')}\r\n`;
      await importAs(rita, sampleId, text).expect(201, { imported: 3 });
      const rows = (await stored([sampleId])).filter((r) => r.rater === 'Windows');
      expect(rows.map((r) => r.position).sort()).toEqual([1, 2, 3]);
      const bad = await importAs(rita, sampleId, `${line(1, 'Again')}\r\n\r\n{"position":"2"}\r\n`).expect(
        400,
      );
      expect(fields(bad.body)).toEqual(['lines[3].position', 'lines[3].reviewer', 'lines[3].verdicts']);
    });

    it('refuses hostile lines, naming each, and writes nothing', async () => {
      const before = (await stored([sampleId])).length;
      const verdicts = { correct: { agree: true } };
      const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const text = [
        JSON.stringify({ position: '3', reviewer: 'A', verdicts }),
        '{"position": 1e309, "reviewer": "A", "verdicts": {"correct": {"agree": true}}}',
        JSON.stringify({ position: 2 ** 53, reviewer: 'A', verdicts }),
        JSON.stringify({ position: 1.5, reviewer: 'A', verdicts }),
        JSON.stringify({ itemId: 'q-1', epoch: -1, reviewer: 'A', verdicts }),
        '{"position": 4, "reviewer": "A", "verdicts": {"correct": {"agree": true}}, "constructor": {"x": 1}}',
        JSON.stringify({
          position: 5,
          reviewer: 'A',
          verdicts: { '<script>alert(1)</script>': { agree: true } },
        }),
        `{"position": 6, "reviewer": "A", "verdicts": {"correct": {"agree": true}}, "note": ${deep(100)}}`,
        JSON.stringify({ position: 7, reviewer: 'A', verdicts: { correct: { agree: 'true' } } }),
        JSON.stringify({ position: 8, reviewer: 'A', verdicts }),
        JSON.stringify({ position: 8, reviewer: 'A', verdicts }),
        JSON.stringify({ position: 1, reviewer: ' ', verdicts }),
        JSON.stringify({ position: 1, reviewer: 'A', verdicts: [] }),
        JSON.stringify({ position: 2, reviewer: 'A\u0000B', verdicts }),
      ].join('\n');
      const refused = await importAs(rita, sampleId, text).expect(400);
      expect(fields(refused.body)).toEqual(
        [
          'lines[1].position',
          'lines[2].position',
          'lines[3].position',
          'lines[4].position',
          'lines[5].epoch',
          'lines[6].constructor',
          'lines[7].verdicts.<script>alert(1)</script>',
          'lines[8]',
          'lines[9].verdicts.correct.agree',
          'lines[11].reviewer',
          'lines[12].reviewer',
          'lines[13].verdicts',
          'lines[14].reviewer',
        ].sort(),
      );
      expect((await stored([sampleId])).length).toBe(before);

      // On the sample page the metric name is shown escaped, never as markup.
      const web = await signIn(api, rita.token);
      const page = await web.post(`/review-samples/${sampleId}/import`, { jsonl: text });
      expect(page.status).toBe(400);
      expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.text).not.toContain('<script>alert(1)</script>');
    });

    it('refuses a line nested millions deep as too deep, without building it', async () => {
      const depth = 6_000_000;
      const text = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const started = Date.now();
      const refused = await importAs(rita, sampleId, text).expect(400);
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'lines[1]', code: 'too_deep' })]);
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it('keeps a note with markup as written in the JSON, and shows it escaped on the page', async () => {
      const note = '<script>alert("note")</script><img src=x onerror=alert(1)>';
      await api
        .as(rob.token)
        .post(`${itemUrl(sampleId, 4)}/reviews`, { verdicts: { correct: { agree: true } }, note })
        .expect(201);
      const exported = (await exportAs(rob, sampleId)).trim().split('\n');
      expect(exported.map((line) => (JSON.parse(line) as { note: string | null }).note)).toContain(note);
      const page = await (await signIn(api, rob.token)).get(`/review-samples/${sampleId}/items/4`);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('<script>alert("note")');
      expect(page.text).not.toContain('<img src=x');
      expect(page.text).toContain('&lt;script&gt;alert(&quot;note&quot;)&lt;/script&gt;');
    });

    it('refuses hostile designs, naming each field', async () => {
      const post = (raw: string) =>
        api
          .as(rita.token)
          .post(samplesOf(runId))
          .set('Content-Type', 'application/json')
          .send(raw)
          .expect(400);
      expect(fields((await post('{"size": 1e9}')).body)).toEqual(['size']);
      expect(fields((await post('{"size": 2.5, "seed": 1.5}')).body)).toEqual(['seed', 'size']);
      expect(fields((await post('{"size": 3, "failureWeight": 1e309, "judgedWeight": "NaN"}')).body)).toEqual(
        ['failureWeight', 'judgedWeight'],
      );
      expect(fields((await post('{"size": 3, "seed": 9007199254740992}')).body)).toEqual(['seed']);
      expect(fields((await post('{"size": "3"}')).body)).toEqual(['size']);
      const proto = await post('{"size": 3, "groupKey": "__proto__"}');
      expect(fields(proto.body)).toEqual(['groupKey']);
      const constructor = await post('{"size": 3, "groupKey": "constructor"}');
      expect(fields(constructor.body)).toEqual(['groupKey']);
    });

    it('samples no cancelled run', async () => {
      stub.setOptions({ latencyMs: 1500 });
      try {
        const started = await api.as(eve.token).post('/v1/runs', { suite: 'attacked@1' }).expect(202);
        await api.as(eve.token).post(`/v1/runs/${started.body.id}/cancel`, {}).expect(200);
        const cancelled = await api.waitForRun(started.body.id, eve.token);
        expect(cancelled.status).toBe('cancelled');
        const refused = await api.as(rita.token).post(samplesOf(started.body.id), { size: 3 }).expect(409);
        expect(refused.body.detail).toMatch(/^The run is cancelled: only a completed run can be sampled/);
      } finally {
        stub.reset();
      }
    });

    it('samples no run whose every item errored: there is nothing a person could review', async () => {
      stub.setOptions({ serverErrorRate: 1 });
      try {
        const started = await api.as(eve.token).post('/v1/runs', { suite: 'attacked@1' }).expect(202);
        const run = await api.waitForRun(started.body.id, eve.token);
        expect(['completed', 'failed']).toContain(run.status);
        const refused = await api.as(rita.token).post(samplesOf(run.id), { size: 3 }).expect(409);
        expect(refused.body.detail).toMatch(
          run.status === 'failed'
            ? /^The run is failed: only a completed run can be sampled/
            : /^The run has no scored items to review \(every item errored\)/,
        );
      } finally {
        stub.reset();
      }
    });

    it('caps a run at 20 samples, counting concurrent draws one after another', async () => {
      const started = await api.as(eve.token).post('/v1/runs', { suite: 'attacked@1' }).expect(202);
      const run = await api.waitForRun(started.body.id, eve.token);
      expect(run.status).toBe('completed');
      const drawn = await Promise.all(
        Array.from({ length: 22 }, (_, seed) =>
          api.as(rita.token).post(samplesOf(run.id), { size: 1, seed }),
        ),
      );
      expect(drawn.filter((r) => r.status === 201)).toHaveLength(20);
      const refused = drawn.filter((r) => r.status === 409);
      expect(refused).toHaveLength(2);
      expect(refused[0].body.detail).toMatch(
        /^The run already has 20 review samples, the most one run may have/,
      );
      const listed = await api.as(rita.token).get(samplesOf(run.id)).expect(200);
      expect(listed.body.items).toHaveLength(20);
    });

    it('draws concurrently without mixing samples: each stored hash re-derives from its stored rows', async () => {
      const responses = await Promise.all(
        [21, 22, 23, 24].map((seed) => api.as(rita.token).post(samplesOf(runId), { size: 7, seed })),
      );
      expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201]);
      const ids = responses.map((r) => r.body.id as string);
      expect(new Set(ids).size).toBe(4);
      const repository = api.app.get(ReviewRepository);
      for (const id of ids) {
        const { sample, items } = await api.app.get(UnitOfWork).read(async (tx) => ({
          sample: await repository.sample(tx, id),
          items: await repository.items(tx, id),
        }));
        if (!sample) {
          throw new Error(`sample ${id} was not stored`);
        }
        expect(items).toHaveLength(7);
        const drawn: DrawnSample = {
          population: sample.population,
          strata: sample.strata,
          items: items.map((item) => ({
            position: item.position,
            itemId: item.itemId,
            epoch: item.epoch,
            stratum: item.stratum,
            weight: item.weight,
          })),
        };
        expect(reviewSampleHash(sample.runId, sample.design, drawn)).toBe(sample.hash);
      }
    });

    it('lets concurrent imports of one rater stack as revisions, never as two current reviews', async () => {
      const line = JSON.stringify({ position: 5, reviewer: 'Racer', verdicts: { correct: { agree: true } } });
      const statuses = (await Promise.all([1, 2, 3, 4].map(() => importAs(rob, sampleId, line)))).map(
        (r) => r.status,
      );
      expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
      const won = statuses.filter((s) => s === 201).length;
      expect(won).toBeGreaterThanOrEqual(1);
      const rows = (await stored([sampleId]))
        .filter((r) => r.rater === 'Racer')
        .sort((a, b) => a.revision - b.revision);
      expect(rows.map((r) => r.revision)).toEqual(range(1, won));
      rows.forEach((row, i) => expect(row.supersedesId).toBe(i === 0 ? null : rows[i - 1].id));
    });
  });
});
