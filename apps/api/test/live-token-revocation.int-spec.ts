import { IngestAuthService } from '@gatehouse/application';
import { describeIntegration, REDIS_TEST_URL, testDriver } from '@gatehouse/testing';
import { randomBytes } from 'node:crypto';
import { givenLiveUseCase } from './support/live-ingest';
import { TestApi, type TestUser } from './support/test-api';

/** Far longer than any test waits: whatever refuses a revoked token here, it is not the cache's time-out. */
const CACHE_MS = '60000';
/** How long a revocation may take to reach another process: well under the default 5 s cache. */
const WITHIN_MS = 2_000;
/** The configuration hash the use cases were approved with, which their heartbeats report. */
const APPROVED = 'a'.repeat(64);

/**
 * Revoking an ingest token acts at once although lookups are cached (here for a minute): the process that
 * revoked it evicts it, and, when the queue runs on Redis, every other API process hears of it on a Redis
 * channel and evicts it too.
 */
describeIntegration('live ingest: a revoked token is refused at once, in every API process', () => {
  const postgres = testDriver() === 'postgres';
  /** On PostgreSQL the queue runs on Redis (as deployed, several processes); on SQLite, the embedded default. */
  const env: Record<string, string> = postgres
    ? {
        REDIS_URL: REDIS_TEST_URL,
        GATEHOUSE_QUEUE_PREFIX: `revoke-${randomBytes(4).toString('hex')}`,
        GATEHOUSE_INGEST_TOKEN_CACHE_MS: CACHE_MS,
      }
    : { GATEHOUSE_INGEST_TOKEN_CACHE_MS: CACHE_MS };
  let api: TestApi;

  const heartbeat = (on: TestApi, token: string) =>
    on.http.post('/v1/live/heartbeat').set('Authorization', `Bearer ${token}`).send({ configHash: APPROVED });

  /** A use case at learn of Benefits, its owner (service team), and a token minted through the API. */
  async function pilotWithToken() {
    const owner = await api.user(`Owner ${randomBytes(3).toString('hex')}`, ['service_team'], 'Benefits');
    const { id } = await givenLiveUseCase(api, await api.team('Benefits'), {
      stage: 'learn',
      targetHash: APPROVED,
    });
    const minted = await api
      .as(owner.token)
      .post(`/v1/ai-use-cases/${id}/ingest-tokens`, { name: 'payments-api' })
      .expect(201);
    return { id, owner, token: minted.body.token as string, tokenId: minted.body.id as string };
  }
  const revoke = (pilot: { id: string; owner: TestUser; tokenId: string }) =>
    api.http
      .delete(`/v1/ai-use-cases/${pilot.id}/ingest-tokens/${pilot.tokenId}`)
      .set('Authorization', `Bearer ${pilot.owner.token}`)
      .expect(204);

  beforeAll(async () => {
    api = await TestApi.start(env);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
  });

  it('in the process that revoked it: the next request is refused, and only that token is forgotten', async () => {
    const pilot = await pilotWithToken();
    const other = await pilotWithToken();
    await heartbeat(api, pilot.token).expect(200);
    await heartbeat(api, other.token).expect(200);
    await revoke(pilot);
    const refused = await heartbeat(api, pilot.token).expect(401);
    expect(refused.body.detail).toContain('revoked');
    await heartbeat(api, other.token).expect(200);
    // A second revocation changes nothing.
    await revoke(pilot);
    await heartbeat(api, pilot.token).expect(401);
  });

  // Two API processes share one database only on PostgreSQL (an SQLite file is the embedded mode's single
  // process), so this case runs in the postgres project; the sqlite project says so in its own case's name.
  if (postgres) {
    it('in two API processes sharing PostgreSQL and Redis: revoked through one, refused by the other within 2 s', async () => {
      const second = await TestApi.start({ ...env, DATABASE_URL: api.database.url });
      try {
        const pilot = await pilotWithToken();
        const other = await pilotWithToken();
        // The second process looks both tokens up (and caches them for a minute), and hears revocations.
        await heartbeat(second, pilot.token).expect(200);
        await heartbeat(second, other.token).expect(200);
        const auth = second.app.get(IngestAuthService);
        for (let i = 0; i < 100 && !auth.hearsRevocations; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(auth.hearsRevocations).toBe(true);
        await heartbeat(second, pilot.token).expect(200); // cached again after subscribing

        const revokedAt = Date.now();
        await revoke(pilot);
        let refused = await heartbeat(second, pilot.token);
        while (refused.status !== 401 && Date.now() - revokedAt < WITHIN_MS) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          refused = await heartbeat(second, pilot.token);
        }
        expect(refused.status).toBe(401);
        expect(refused.body.detail).toContain('revoked');
        expect(Date.now() - revokedAt).toBeLessThan(WITHIN_MS);
        // The other token is still accepted (from the second process's cache).
        await heartbeat(second, other.token).expect(200);
      } finally {
        await second.close();
      }
    }, 60_000);
  } else {
    it('on SQLite (the embedded mode, one process) opens no Redis channel; the two-process case runs on PostgreSQL', async () => {
      const pilot = await pilotWithToken();
      await heartbeat(api, pilot.token).expect(200);
      expect(api.app.get(IngestAuthService).hearsRevocations).toBe(false);
    });
  }
});
