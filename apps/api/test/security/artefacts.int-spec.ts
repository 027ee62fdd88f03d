import { describeIntegration } from '@gatehouse/testing';
import {
  buildMessages,
  cassetteKey,
  type DatasetItem,
  recordedConfigHash,
  targetSchema,
} from '@gatehouse/evals';
import { CassetteEntity, UnitOfWork, writeWith } from '@gatehouse/persistence';
import { createHash, randomUUID } from 'node:crypto';
import { lowRiskRecord } from '../support/records';
import { TestApi, type TestUser } from '../support/test-api';

/**
 * Issue 10, "faking evidence": another team uploaded a cassette under the name a team's registered
 * target replays, and that team's next evidence run replayed the impostor's answers. Names are owned
 * now, registered targets and runs pin content by sha256, and a cassette recorded from another
 * configuration than the suite's recordFrom is refused.
 */
const ITEMS: DatasetItem[] = Array.from({ length: 12 }, (_, i) => ({
  id: `c-${String(i + 1).padStart(2, '0')}`,
  input: `claim ${i + 1}`,
  expected: i % 3 === 0 ? 'approve' : 'refer',
}));
const NDJSON = 'application/x-ndjson';
const YAML = 'application/yaml';
const RECORD_FROM = { type: 'openai', model: 'gpt-4o-mini', temperature: 0, seed: 7 } as const;
const PROMPT = { template: '{{input}}' };

/** The recorded-from hash the CLI writes: of the live configuration as the suite schema reads it. */
const recordedFrom = (recordFrom: object) =>
  recordedConfigHash(
    (targetSchema.parse({ type: 'replay', cassette: 'x', recordFrom }) as { recordFrom: unknown }).recordFrom,
  );

/** A cassette answering every item with `answer(item)`, with the meta line of `recordFrom`. */
function cassette(answer: (item: DatasetItem) => string, recordFrom: object | null = RECORD_FROM): string {
  const rows = ITEMS.map((item) => {
    const { messages, prompt } = buildMessages(item, PROMPT);
    const key = cassetteKey({ messages, prompt, item, epoch: 1 });
    return JSON.stringify({
      key,
      request: { messages, maxTokens: null, epoch: 1 },
      response: { output: answer(item) },
    });
  }).sort();
  const meta = recordFrom
    ? [JSON.stringify({ gatehouseCassette: 1, recordedFrom: recordedFrom(recordFrom) })]
    : [];
  return `${[...meta, ...rows].join('\n')}\n`;
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const ORIGINAL = cassette((item) => String(item.expected)); // every answer right
const FORGED = cassette(() => 'approve'); // the impostor's: wrong two times in three

const suiteYaml = (version: number, recordFrom: object = RECORD_FROM, name = 'claims') =>
  [
    `name: ${name}`,
    `version: ${version}`,
    'dataset: claims-items@1',
    'target:',
    '  type: replay',
    '  cassette: claims-bot',
    `  recordFrom: ${JSON.stringify(recordFrom)}`,
    "prompt: { template: '{{input}}' }",
    'scorers:',
    '  - { type: equals, name: correct }',
    'thresholds:',
    "  - { metric: correct, stat: value, op: '>=', value: 0.9 }",
  ].join('\n');

describeIntegration('security: owned, pinned artefacts', () => {
  jest.setTimeout(120_000);
  let api: TestApi;
  let vic: TestUser; // the victim team's engineer (Benefits)
  let ivy: TestUser; // an engineer of another team (Tax): the impostor
  let admin: TestUser; // an admin of a team of its own
  let useCaseId: string;

  type Run = {
    id: string;
    status: string;
    error: string | null;
    manifest: { cassettes: Record<string, string> };
    report: { summary: { metrics: { name: string; value: number }[] } } | null;
  };
  const waitFor = (id: string, token: string): Promise<Run> => api.waitForRun(id, token);
  const correct = (run: Run) => run.report?.summary.metrics.find((m) => m.name === 'correct')?.value;
  const evidenceRun = async (): Promise<Run> => {
    const started = await api
      .as(vic.token)
      .post('/v1/runs', { suite: 'claims@1', aiUseCaseId: useCaseId })
      .expect(202);
    return waitFor(started.body.id as string, vic.token);
  };

  beforeAll(async () => {
    api = await TestApi.start({ GATEHOUSE_ITEM_CONCURRENCY: '4' });
    vic = await api.user('Vic', ['engineer', 'service_team'], 'Benefits');
    ivy = await api.user('Ivy', ['engineer'], 'Tax');
    admin = await api.user('Ada', ['admin', 'engineer'], 'Assurance');
    const items = ITEMS.map((item) => JSON.stringify(item)).join('\n');
    await api.as(vic.token).upload('/v1/datasets?name=claims-items&version=1', items, NDJSON).expect(201);
    await api.as(vic.token).upload('/v1/cassettes?name=claims-bot', ORIGINAL, NDJSON).expect(201);
    await api.as(vic.token).upload('/v1/suites', suiteYaml(1), YAML).expect(201);
    useCaseId = (await api.as(vic.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201))
      .body.id as string;
    await api
      .as(vic.token)
      .put(`/v1/ai-use-cases/${useCaseId}/target`, {
        target: { type: 'replay', cassette: 'claims-bot', recordFrom: RECORD_FROM },
      })
      .expect(200);
  });

  afterAll(async () => {
    await api?.close();
  });

  it("refuses another team's upload under a name the team owns: 409 naming the field, not the team", async () => {
    const refused = await api
      .as(ivy.token)
      .upload('/v1/cassettes?name=claims-bot', FORGED, NDJSON)
      .expect(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ field: 'name', code: 'owned_by_another_team' }),
    ]);
    expect(JSON.stringify(refused.body)).not.toMatch(/Benefits|Vic/);
    // Suites and datasets alike; and an admin may not publish under a team's name either.
    await api.as(ivy.token).upload('/v1/suites', suiteYaml(2), YAML).expect(409);
    const items = ITEMS.slice(0, 3)
      .map((item) => JSON.stringify(item))
      .join('\n');
    await api.as(ivy.token).upload('/v1/datasets?name=claims-items', items, NDJSON).expect(409);
    await api.as(admin.token).upload('/v1/cassettes?name=claims-bot', FORGED, NDJSON).expect(409);
    const listed = await api.as(vic.token).get('/v1/cassettes').expect(200);
    expect((listed.body as { sha256: string }[]).map((c) => c.sha256)).not.toContain(sha256(FORGED));
    // A name nobody holds is free, and then the claimant's team's.
    await api.as(ivy.token).upload('/v1/cassettes?name=tax-bot', FORGED, NDJSON).expect(201);
    await api.as(ivy.token).upload('/v1/cassettes?name=tax-bot', ORIGINAL, NDJSON).expect(201);
    await api.as(vic.token).upload('/v1/cassettes?name=tax-bot', ORIGINAL, NDJSON).expect(200); // the same content: no change
  });

  it("refuses another team's upload under the names the team's judges record to (<cassette>.<metric>.judge<n>)", async () => {
    // A cassette of its own, so the other tests' pins are not touched.
    await api.as(vic.token).upload('/v1/cassettes?name=judged-bot', ORIGINAL, NDJSON).expect(201);
    const refused = await api
      .as(ivy.token)
      .upload('/v1/cassettes?name=judged-bot.quality.judge1', FORGED, NDJSON)
      .expect(409);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ field: 'name', code: 'owned_by_another_team' }),
    ]);
    await api
      .as(vic.token)
      .upload('/v1/cassettes?name=judged-bot.quality.judge1', ORIGINAL, NDJSON)
      .expect(201);
  });

  it("replays exactly the content the registered target pinned, even with an impostor's newer row under the name", async () => {
    // As if the impostor had uploaded before names were owned: a newer row under the name, another team's.
    const uow = api.app.get(UnitOfWork, { strict: false });
    await writeWith(uow, (m) =>
      m.insert(CassetteEntity, {
        id: randomUUID(),
        name: 'claims-bot',
        sha256: sha256(FORGED),
        entryCount: ITEMS.length,
        content: FORGED,
        recordedFrom: recordedFrom(RECORD_FROM),
        ownerTeamId: ivy.teamId,
        createdBy: ivy.id,
        createdAt: new Date(Date.now() + 60_000),
        publishedAt: new Date(Date.now() + 60_000),
      }),
    );
    const registered = await api.as(vic.token).get(`/v1/ai-use-cases/${useCaseId}`).expect(200);
    expect(registered.body.target.cassettes).toEqual({ 'claims-bot': sha256(ORIGINAL) });
    const run = await evidenceRun();
    expect(run.status).toBe('completed');
    expect(run.manifest.cassettes).toEqual({ 'claims-bot': sha256(ORIGINAL) });
    expect(correct(run)).toBe(1);
    // A run of the suite outside the use case pins the owner's content too, never the newest row.
    const plain = await api.as(vic.token).post('/v1/runs', { suite: 'claims@1' }).expect(202);
    expect((await waitFor(plain.body.id as string, vic.token)).manifest.cassettes).toEqual({
      'claims-bot': sha256(ORIGINAL),
    });
    // The impostor cannot replay its row as its own team's evidence either: the name is not theirs.
    const forged = await api
      .as(ivy.token)
      .post('/v1/runs', { suite: 'claims@1', target: { type: 'replay', cassette: 'claims-bot' } })
      .expect(400);
    expect(forged.body.errors).toEqual([
      expect.objectContaining({ field: 'target.cassette', code: 'not_owned' }),
    ]);
  });

  it('keeps re-uploading the original harmless, and lets the owner make it current again', async () => {
    const again = await api
      .as(vic.token)
      .upload('/v1/cassettes?name=claims-bot', ORIGINAL, NDJSON)
      .expect(200);
    expect(again.body).toMatchObject({ sha256: sha256(ORIGINAL) });
    expect(correct(await evidenceRun())).toBe(1);
    // The owner publishes other content, registers it, then restores the original by uploading it again.
    const changed = cassette((item) => (item.expected === 'approve' ? 'approve' : 'decline'));
    await api.as(vic.token).upload('/v1/cassettes?name=claims-bot', changed, NDJSON).expect(201);
    const register = () =>
      api
        .as(vic.token)
        .put(`/v1/ai-use-cases/${useCaseId}/target`, {
          target: { type: 'replay', cassette: 'claims-bot', recordFrom: RECORD_FROM },
        })
        .expect(200);
    await register();
    const onChanged = await evidenceRun();
    expect(onChanged.manifest.cassettes).toEqual({ 'claims-bot': sha256(changed) });
    expect(correct(onChanged)).toBeCloseTo(4 / 12);
    await api.as(vic.token).upload('/v1/cassettes?name=claims-bot', ORIGINAL, NDJSON).expect(200);
    await register();
    const restored = await evidenceRun();
    expect(restored.manifest.cassettes).toEqual({ 'claims-bot': sha256(ORIGINAL) });
    expect(correct(restored)).toBe(1);
  });

  it('refuses a replay whose recordFrom differs from the configuration the cassette was recorded from', async () => {
    const changedModel = { ...RECORD_FROM, model: 'gpt-4.1' };
    await api.as(vic.token).upload('/v1/suites', suiteYaml(2, changedModel), YAML).expect(201);
    const refused = await api.as(vic.token).post('/v1/runs', { suite: 'claims@2' }).expect(400);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ field: 'target.recordFrom', code: 'recorded_from_mismatch' }),
    ]);
    expect(refused.body.errors[0].message).toMatch(/gatehouse eval run .*--record/);
    // As evidence too, and when registering a target that says so.
    await api.as(vic.token).post('/v1/runs', { suite: 'claims@2', aiUseCaseId: useCaseId }).expect(202);
    await api
      .as(vic.token)
      .post('/v1/runs', {
        suite: 'claims@1',
        aiUseCaseId: useCaseId,
        target: { type: 'replay', cassette: 'claims-bot', recordFrom: changedModel },
      })
      .expect(400);
    const register = await api
      .as(vic.token)
      .put(`/v1/ai-use-cases/${useCaseId}/target`, {
        target: { type: 'replay', cassette: 'claims-bot', recordFrom: changedModel },
      })
      .expect(400);
    expect(register.body.errors[0]).toMatchObject({ field: 'target.recordFrom' });
    // A cassette recorded before meta lines replays, unverified (nothing says what it came from).
    await api
      .as(vic.token)
      .upload(
        '/v1/cassettes?name=claims-legacy',
        cassette((i) => String(i.expected), null),
        NDJSON,
      )
      .expect(201);
    await api
      .as(vic.token)
      .post('/v1/runs', {
        suite: 'claims@2',
        target: { type: 'replay', cassette: 'claims-legacy', recordFrom: changedModel },
      })
      .expect(202);
  });
  it('fails a run whose pinned content is not on the server (never "the newest by name"), until it is uploaded again', async () => {
    const uow = api.app.get(UnitOfWork, { strict: false });
    await writeWith(uow, (m) => m.delete(CassetteEntity, { name: 'claims-bot', sha256: sha256(ORIGINAL) }));
    const missing = await evidenceRun();
    expect(missing.status).toBe('failed');
    expect(missing.error).toMatch(
      /claims-bot with sha256 [0-9a-f]{64}, which this run pinned, is not on this server/,
    );
    // Content-addressed: the same bytes again are the same artefact, and the registered target works again.
    await api.as(vic.token).upload('/v1/cassettes?name=claims-bot', ORIGINAL, NDJSON).expect(201);
    const restored = await evidenceRun();
    expect(restored.status).toBe('completed');
    expect(correct(restored)).toBe(1);
  });
});
