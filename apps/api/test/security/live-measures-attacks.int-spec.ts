import { describeIntegration } from '@gatehouse/testing';
import { daysAgo, feedback, interaction, store, traceId } from '../support/live';
import { lowRiskRecord } from '../support/records';
import { TestApi, type TestUser } from '../support/test-api';

/**
 * Attacks on the derived pilot measures: feedback that names traces that were never sent (or another use
 * case's), periods too long or not dates, and reads by people who may not see the use case.
 */
describeIntegration('live measures under attack', () => {
  let api: TestApi;
  let sam: TestUser; // service team, Benefits: owns the use cases
  let olga: TestUser; // service team, Housing: another team
  let mine: string;
  let theirs: string;
  const yesterday = daysAgo(1).toISOString().slice(0, 10);

  const measures = (id: string, query: string, token = sam.token) =>
    api.as(token).get(`/v1/ai-use-cases/${id}/live-measures?${query}`);

  beforeAll(async () => {
    api = await TestApi.start();
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    olga = await api.user('Olga', ['service_team'], 'Housing');
    const register = async (token: string) =>
      (await api.as(token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)).body
        .id as string;
    mine = await register(sam.token);
    theirs = await register(olga.token);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('feedback for traces never sent, or sent by another use case, creates no case, counts against our rates (capped) and never touches theirs', async () => {
    const ours = Array.from({ length: 10 }, () => interaction(mine, { startedAt: daysAgo(1, 9) }));
    const other = Array.from({ length: 10 }, () => interaction(theirs, { startedAt: daysAgo(1, 9) }));
    const at = { occurredAt: daysAgo(1, 10) };
    await store(api, [
      ...ours,
      ...other,
      // One real override of ours.
      feedback(mine, { traceId: ours[0].traceId, ...at }),
      // Three overrides of traces that never existed, and two complaints naming the other team's traces.
      ...Array.from({ length: 3 }, () => feedback(mine, { traceId: traceId(), ...at })),
      ...other.slice(0, 2).map((row) => feedback(mine, { traceId: row.traceId, kind: 'complaint', ...at })),
      // Positive feedback naming nothing cannot dilute a rate.
      ...Array.from({ length: 5 }, () => feedback(mine, { kind: 'positive', ...at })),
    ]);

    const read = await measures(mine, `from=${yesterday}&to=${yesterday}`).expect(200);
    // No case is made up; the adverse events that name no stored trace count against us as cases of their own.
    expect(read.body.totals).toMatchObject({
      cases: 10,
      calls: 10,
      unlinked: 10,
      positive: 0,
      overrideRate: { events: 4, cases: 10, rate: 0.4 },
      complaintRate: { events: 2, cases: 10, rate: 0.2 },
    });
    // The other use case's measures do not see our feedback on its traces.
    const theirsRead = await measures(theirs, `from=${yesterday}&to=${yesterday}`, olga.token).expect(200);
    expect(theirsRead.body.totals).toMatchObject({
      cases: 10,
      unlinked: 0,
      complaintRate: { events: 0, cases: 10 },
    });

    // Complaints filed without a trace id cannot be kept out of the rate; a flood of them stops at every case.
    await store(
      api,
      Array.from({ length: 50 }, () => feedback(mine, { kind: 'complaint', ...at })),
    );
    const flooded = await measures(mine, `from=${yesterday}&to=${yesterday}`).expect(200);
    expect(flooded.body.totals.complaintRate).toMatchObject({ events: 10, cases: 10, rate: 1, upper95: 1 });
  });

  it.each([
    ['a period of 401 days', 'from=2025-01-01&to=2026-02-05', 'to'],
    ['an impossible date', 'from=2026-02-30&to=2026-03-01', 'from'],
    ['a date without leading zeros', 'from=2026-1-1&to=2026-01-02', 'from'],
    ['a timestamp instead of a day', 'from=2026-01-01T00:00:00Z&to=2026-01-02', 'from'],
    ['an end before the start', 'from=2026-11-05&to=2026-11-01', 'to'],
    ['text in a date', `from=${encodeURIComponent("2026-01-01' OR '1'='1")}&to=2026-01-02`, 'from'],
    ['no end', 'from=2026-11-01', 'to'],
    ['a repeated parameter', 'from=2026-11-01&from=2026-11-02&to=2026-11-03', 'from'],
    ['an unknown parameter', 'from=2026-11-01&to=2026-11-02&limit=99999999', 'limit'],
  ])('refuses %s with a problem naming the field', async (_what, query, field) => {
    const refused = await measures(mine, query).expect(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('reads a period of exactly 400 days', async () => {
    const read = await measures(mine, 'from=2025-01-01&to=2026-02-04').expect(200);
    expect(read.body).toMatchObject({ from: '2025-01-01', to: '2026-02-04' });
  });

  it('hides a use case from those who may not see it, and from anyone not signed in', async () => {
    const query = `from=${yesterday}&to=${yesterday}`;
    // A proposed use case is visible to its team, reviewers and admins only: others get "not found".
    const hidden = await measures(mine, query, olga.token).expect(404);
    expect(hidden.body.status).toBe(404);
    await api.http.get(`/v1/ai-use-cases/${mine}/live-measures?${query}`).expect(401);
    await measures('00000000-0000-4000-8000-000000000000', query).expect(404);
    await measures('not-a-uuid', query).expect(400);
  });
});
