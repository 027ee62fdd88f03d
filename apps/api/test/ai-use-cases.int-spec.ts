import { describeIntegration } from '@gatehouse/testing';
import { highRiskRecord, lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

describeIntegration('AI use cases through the API', () => {
  let api: TestApi;
  let sam: TestUser; // service team, Benefits
  let eve: TestUser; // engineer, Benefits
  let olu: TestUser; // service team, Housing
  let rita: TestUser; // reviewer, Assurance
  let ben: TestUser; // reviewer inside Benefits

  beforeAll(async () => {
    api = await TestApi.start();
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    olu = await api.user('Olu', ['service_team'], 'Housing');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    ben = await api.user('Ben', ['reviewer'], 'Benefits');
  });

  afterAll(() => api?.close());

  it('registers a use case at "proposed" with its derived tier, a first revision and an audit event', async () => {
    const created = await api
      .as(sam.token)
      .post('/v1/ai-use-cases', { record: highRiskRecord() })
      .expect(201);
    expect(created.body).toMatchObject({
      name: 'Benefit enquiry triage',
      stage: 'proposed',
      riskTier: 'high',
      derivedRiskTier: 'high',
      revision: 1,
      ownerTeam: { id: sam.teamId, name: 'Benefits' },
      createdBy: sam.id,
    });
    expect(created.body.riskTierReasons.map((r: { criterion: string }) => r.criterion)).toEqual(
      expect.arrayContaining(['special_category_data', 'high_stakes_domain']),
    );
    expect(created.headers.location).toBe(`/v1/ai-use-cases/${created.body.id}`);
    const revisions = await api
      .as(sam.token)
      .get(`/v1/ai-use-cases/${created.body.id}/revisions`)
      .expect(200);
    expect(revisions.body).toHaveLength(1);
    const audit = await api.as(rita.token).get(`/v1/audit-events?subjectId=${created.body.id}`).expect(200);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['ai_use_case.registered']);
    expect(audit.body.items[0]).toMatchObject({
      actorId: sam.id,
      actorName: 'Sam',
      subjectType: 'ai_use_case',
    });
  });

  it('keeps every change as a new revision, with what changed and why', async () => {
    const { body: created } = await api
      .as(sam.token)
      .post('/v1/ai-use-cases', { record: lowRiskRecord() })
      .expect(201);
    const url = `/v1/ai-use-cases/${created.id}`;
    const updated = await api
      .as(sam.token)
      .patch(url, {
        changes: { summary: 'Drafts summaries of papers.', data: { personalData: true } },
        reason: 'Scope grew',
      })
      .expect(200);
    expect(updated.body).toMatchObject({
      revision: 2,
      derivedRiskTier: 'medium',
      record: { summary: 'Drafts summaries of papers.' },
    });
    expect(updated.headers.etag).toBe(`"${created.id}.2"`);

    const revisions = await api.as(sam.token).get(`${url}/revisions`).expect(200);
    expect(revisions.body.map((r: { revision: number }) => r.revision)).toEqual([2, 1]);
    expect(revisions.body[0]).toMatchObject({
      changedPaths: ['data.personalData', 'summary'],
      changeReason: 'Scope grew',
    });
    expect(revisions.body[1].record.summary).toBe(lowRiskRecord().summary);

    const unchanged = await api
      .as(sam.token)
      .patch(url, { changes: { summary: 'Drafts summaries of papers.' } })
      .expect(200);
    expect(unchanged.body.revision).toBe(2);
  });

  it('refuses a change made against a stale revision (If-Match or expectedRevision) and writes nothing', async () => {
    const { body: created } = await api
      .as(sam.token)
      .post('/v1/ai-use-cases', { record: lowRiskRecord() })
      .expect(201);
    const url = `/v1/ai-use-cases/${created.id}`;
    await api
      .as(sam.token)
      .patch(url, { changes: { summary: 'First edit.' } })
      .expect(200);
    const stale = await api
      .as(sam.token)
      .patch(url, { changes: { summary: 'Second edit.' } })
      .set('If-Match', `"${created.id}.1"`)
      .expect(412);
    expect(stale.body).toMatchObject({ code: 'precondition_failed', rule: 'revision_matches' });
    await api
      .as(sam.token)
      .patch(url, { changes: { summary: 'Third edit.' }, expectedRevision: 1 })
      .expect(412);
    const current = await api.as(sam.token).get(url).expect(200);
    expect(current.body).toMatchObject({ revision: 2, record: { summary: 'First edit.' } });
  });

  it('validates the merged record and names the field, writing nothing', async () => {
    const { body: created } = await api
      .as(sam.token)
      .post('/v1/ai-use-cases', { record: lowRiskRecord() })
      .expect(201);
    const url = `/v1/ai-use-cases/${created.id}`;
    const bad = await api
      .as(sam.token)
      .patch(url, { changes: { decision: { role: 'overlord' }, people: { children: 'yes' }, stray: true } })
      .expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'changes.decision.role',
      'changes.people.children',
      'changes.stray',
    ]);
    const inconsistent = await api
      .as(sam.token)
      .patch(url, { changes: { decision: { solelyAutomated: true } } })
      .expect(400);
    expect(inconsistent.body.errors).toEqual([
      expect.objectContaining({ field: 'changes.decision.role', code: 'solely_automated_implies_decides' }),
    ]);
    expect((await api.as(sam.token).get(`${url}/revisions`)).body).toHaveLength(1);
  });

  it("hides other teams' drafts (404 everywhere) but shows use cases past proposed", async () => {
    const { body: draft } = await api
      .as(sam.token)
      .post('/v1/ai-use-cases', { record: lowRiskRecord() })
      .expect(201);
    const url = `/v1/ai-use-cases/${draft.id}`;
    await api.as(olu.token).get(url).expect(404);
    await api.as(olu.token).get(`${url}/revisions`).expect(404);
    await api
      .as(olu.token)
      .patch(url, { changes: { summary: 'Hijack.' } })
      .expect(404);
    const listed = await api.as(olu.token).get('/v1/ai-use-cases').expect(200);
    expect(listed.body.items.map((u: { id: string }) => u.id)).not.toContain(draft.id);
    await api.as(eve.token).get(url).expect(200); // same team
    await api.as(rita.token).get(url).expect(200); // reviewers see every draft
    await api
      .as(eve.token)
      .patch(url, { changes: { summary: 'Engineer edit.' } })
      .expect(403);
  });

  it('lets an independent reviewer override the tier with a reason, never a reviewer of the owning team', async () => {
    const { body: created } = await api
      .as(sam.token)
      .post('/v1/ai-use-cases', { record: highRiskRecord() })
      .expect(201);
    const url = `/v1/ai-use-cases/${created.id}`;
    const own = await api
      .as(ben.token)
      .post(`${url}/risk-tier-override`, { tier: 'medium', reason: 'Outputs are always checked twice.' })
      .expect(403);
    expect(own.body).toMatchObject({ code: 'separation_of_duties', rule: 'reviewer_not_in_owning_team' });
    await api
      .as(sam.token)
      .post(`${url}/risk-tier-override`, { tier: 'low', reason: 'We think it is fine really.' })
      .expect(403);
    const short = await api
      .as(rita.token)
      .post(`${url}/risk-tier-override`, { tier: 'medium', reason: 'ok' })
      .expect(400);
    expect(short.body.errors[0].field).toBe('reason');

    const overridden = await api
      .as(rita.token)
      .post(`${url}/risk-tier-override`, { tier: 'medium', reason: 'Two caseworkers check every output.' })
      .expect(200);
    expect(overridden.body).toMatchObject({
      riskTier: 'medium',
      derivedRiskTier: 'high',
      riskTierOverride: { tier: 'medium', derivedTier: 'high', decidedBy: rita.id },
    });
    // A record change that moves the derived tier voids the override.
    const changed = await api
      .as(sam.token)
      .patch(url, {
        changes: {
          domain: 'internal_operations',
          data: { personalData: false, specialCategoryData: false, specialCategoryCondition: null },
          decision: { aboutIndividuals: false, role: 'assistive' },
        },
      })
      .expect(200);
    expect(changed.body).toMatchObject({ derivedRiskTier: 'low', riskTier: 'low', riskTierOverride: null });
  });

  it('filters and pages the register', async () => {
    await api.as(sam.token).post('/v1/ai-use-cases', { record: highRiskRecord() }).expect(201);
    const page = await api.as(rita.token).get('/v1/ai-use-cases?riskTier=high&limit=1').expect(200);
    expect(page.body).toMatchObject({ limit: 1, offset: 0 });
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0].riskTier).toBe('high');
    expect(page.body.total).toBeGreaterThanOrEqual(1);
    const byTeam = await api.as(rita.token).get(`/v1/ai-use-cases?teamId=${olu.teamId}`).expect(200);
    expect(byTeam.body.total).toBe(0);
    const bad = await api.as(rita.token).get('/v1/ai-use-cases?stage=pilot&limit=0').expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'stage']);
  });

  it('round-trips SQL-ish and unicode text exactly', async () => {
    const tricky =
      "Robert'); DROP TABLE ai_use_cases;-- 🚦 Ærø “quotes” \\ back\\slash\n\tŁódź 中文 \\u0000-free";
    const record = {
      ...lowRiskRecord(),
      name: tricky.slice(0, 60),
      summary: tricky,
      purpose: { ...lowRiskRecord().purpose, inScope: [tricky] },
    };
    const { body: created } = await api.as(sam.token).post('/v1/ai-use-cases', { record }).expect(201);
    const fetched = await api.as(sam.token).get(`/v1/ai-use-cases/${created.id}`).expect(200);
    expect(fetched.body.record.summary).toBe(tricky);
    expect(fetched.body.record.purpose.inScope).toEqual([tricky]);
    expect(fetched.body.name).toBe(tricky.slice(0, 60));
  });
});
