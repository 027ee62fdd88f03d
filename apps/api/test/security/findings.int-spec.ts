import {
  AiUseCaseEntity,
  ApiTokenEntity,
  AuditChainHeadEntity,
  UnitOfWork,
  writeWith,
} from '@gatehouse/persistence';
import { describeIntegration, REDIS_TEST_URL, testDriver } from '@gatehouse/testing';
import Redis from 'ioredis';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type request from 'supertest';
import { DataSource } from 'typeorm';
import { lowRiskRecord } from '../support/records';
import { TestApi, type TestUser } from '../support/test-api';
import { signIn } from '../support/web';

const root = join(__dirname, '../../../..');
const CLI = join(root, 'bin/gatehouse.js');
const MAIN = join(root, 'dist/apps/api/src/main.js');
const runFile = promisify(execFile);

/** Reads a server-sent event stream to its end; resolves with the events' types and data. */
const readStream = async (req: request.Test) => {
  const response = await req
    .timeout(30_000)
    .buffer(true)
    .parse((res, callback) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => callback(null, text));
    });
  const events = String(response.body)
    .split('\n\n')
    .filter((e) => e.includes('event:'))
    .map((e) => ({ type: /event: (\w+)/.exec(e)?.[1], data: JSON.parse(/data: (.*)/.exec(e)?.[1] ?? '{}') }));
  return { status: response.status, events };
};
const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cookieNamed = (response: request.Response, name: string) =>
  ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));

/**
 * The smaller findings of issue 10, each as a hostile or careless user would meet it. The API runs on the
 * Redis queue with no worker, so a started run stays queued and its progress stream stays open.
 */
describeIntegration(
  'security findings: the smaller ones',
  () => {
    const prefix = `ghsec-${process.pid}-${testDriver()}`;
    let api: TestApi;
    let alphaEngineer: TestUser;
    let alphaService: TestUser;
    let betaEngineer: TestUser;
    let reviewer: TestUser;

    beforeAll(async () => {
      api = await TestApi.start({
        REDIS_URL: REDIS_TEST_URL,
        GATEHOUSE_QUEUE_PREFIX: prefix,
        GATEHOUSE_SEED_EXAMPLES: 'true',
        GATEHOUSE_EVALS_DIR: join(root, 'evals'),
      });
      alphaEngineer = await api.user('Ann Alpha', ['engineer'], 'Sec Alpha');
      alphaService = await api.user('Sid Alpha', ['service_team'], 'Sec Alpha');
      betaEngineer = await api.user('Bea Beta', ['engineer'], 'Sec Beta');
      reviewer = await api.user('Rae Review', ['reviewer'], 'Sec Assurance');
    }, 60_000);

    afterAll(async () => {
      await api?.close();
      const redis = new Redis(REDIS_TEST_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) {
          await redis.del(...keys);
        }
      } finally {
        redis.disconnect();
      }
    }, 60_000);

    const queuedRun = async (token: string, body: object = {}) =>
      (
        await api
          .as(token)
          .post('/v1/runs', { suite: 'benefits-triage@1', ...body })
          .expect(202)
      ).body as {
        id: string;
      };

    it('refuses a sign-out without the session’s CSRF token: the browser stays signed in', async () => {
      const web = await signIn(api, alphaService.token);
      const forged = await web.agent.post('/sign-out').type('form').send({});
      expect(forged.status).toBe(403);
      expect(cookieNamed(forged, 'gh_session')).toBeUndefined(); // the cookie is not cleared either
      expect((await web.agent.get('/').expect(303)).headers.location).toBe('/ai-use-cases');
      const out = await web.post('/sign-out');
      expect(out.status).toBe(303);
      expect(cookieNamed(out, 'gh_session')).toMatch(/^gh_session=;/);
    }, 30_000);

    it('closes an API progress stream once its token is revoked', async () => {
      const user = await api.user('Rev Oked', ['engineer'], 'Sec Alpha');
      const run = await queuedRun(user.token);
      const stream = readStream(api.as(user.token).get(`/v1/runs/${run.id}/events`));
      await until(700);
      await writeWith(api.app.get(UnitOfWork), (m) =>
        m.update(ApiTokenEntity, { userId: user.id }, { revokedAt: new Date() }),
      );
      const { status, events } = await stream;
      expect(status).toBe(200);
      expect(events[0]).toMatchObject({ type: 'progress', data: { id: run.id, status: 'queued' } });
      expect(events.at(-1)).toMatchObject({
        type: 'error',
        data: { message: expect.stringContaining('revoked') },
      });
    }, 40_000);

    it('closes the page’s progress stream once its web session ends', async () => {
      const run = await queuedRun(alphaEngineer.token);
      const web = await signIn(api, alphaEngineer.token);
      const stream = readStream(web.agent.get(`/runs/${run.id}/events`));
      await until(700);
      expect((await web.post('/sign-out')).status).toBe(303);
      const { status, events } = await stream;
      expect(status).toBe(200);
      expect(events[0]).toMatchObject({ type: 'progress' });
      expect(events.at(-1)).toMatchObject({
        type: 'error',
        data: { message: expect.stringContaining('signed out') },
      });
    }, 40_000);

    it('answers a baseline run the caller cannot see exactly as one that does not exist', async () => {
      const draft = (
        await api.as(alphaService.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)
      ).body as { id: string };
      const hidden = await queuedRun(alphaEngineer.token, { aiUseCaseId: draft.id });
      // The owning team still uses it as a baseline.
      await queuedRun(alphaEngineer.token, { baselineRunId: hidden.id });
      const asHidden = await api
        .as(betaEngineer.token)
        .post('/v1/runs', { suite: 'benefits-triage@1', baselineRunId: hidden.id });
      const asUnknown = await api
        .as(betaEngineer.token)
        .post('/v1/runs', { suite: 'benefits-triage@1', baselineRunId: randomUUID() });
      expect(asUnknown.status).toBe(400);
      expect(asHidden.status).toBe(asUnknown.status);
      expect(asHidden.body.errors).toEqual(asUnknown.body.errors);
      expect(asHidden.body.errors).toEqual([
        expect.objectContaining({ field: 'baselineRunId', message: 'is not a known run' }),
      ]);
    }, 30_000);

    it('reports a missing audit chain head as a broken chain (API and CLI), not a 500 or a stack trace', async () => {
      const heads = api.app.get(DataSource).getRepository(AuditChainHeadEntity);
      const head = await heads.findOneByOrFail({ id: 1 });
      await heads.delete({ id: 1 });
      try {
        const report = (await api.admin.get('/v1/audit-events/verify').expect(200)).body;
        expect(report).toMatchObject({
          ok: false,
          headSeq: head.seq,
          headHash: head.hash,
          firstBreak: { problem: 'missing_head', seq: head.seq + 1, eventId: null },
        });
        const cli = await runFile(process.execPath, [CLI, 'audit', 'verify'], {
          env: { ...process.env, DATABASE_URL: api.database.url },
        }).then(
          ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
          (error: { code: number; stdout: string; stderr: string }) => ({
            code: error.code,
            output: error.stdout + error.stderr,
          }),
        );
        expect(cli.code).toBe(1);
        expect(cli.output).toContain('Audit chain BROKEN: its head record is missing (missing_head)');
        expect(cli.output).not.toMatch(/\n\s+at /);
      } finally {
        await heads.insert(head);
      }
      expect((await api.admin.get('/v1/audit-events/verify').expect(200)).body.ok).toBe(true);
    }, 120_000);

    it('does not disclose the right evaluation hash when a reviewer signs a wrong one', async () => {
      const useCase = (
        await api.as(alphaService.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)
      ).body as { id: string };
      const evaluation = (
        await api
          .as(alphaService.token)
          .post(`/v1/ai-use-cases/${useCase.id}/gate-evaluations`, { to: 'test' })
          .expect(201)
      ).body as { id: string; hash: string };
      const wrong = await api.as(reviewer.token).post(`/v1/gate-evaluations/${evaluation.id}/approvals`, {
        decision: 'approve',
        reason: 'Checked it',
        evaluationHash: '0'.repeat(64),
      });
      expect(wrong.status).toBe(409);
      expect(wrong.body.rule).toBe('signed_hash_matches');
      expect(JSON.stringify(wrong.body)).not.toContain(evaluation.hash);
      expect(wrong.body.errors[0]).toMatchObject({ field: 'evaluationHash', code: 'hash_mismatch' });
      expect(wrong.body.errors[0].message).toContain(`GET /v1/gate-evaluations/${evaluation.id}`);
    }, 30_000);

    it('refuses to override the risk tier of a retired AI use case', async () => {
      const useCase = (
        await api.as(alphaService.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)
      ).body as { id: string };
      await writeWith(api.app.get(UnitOfWork), (m) =>
        m.update(AiUseCaseEntity, { id: useCase.id }, { stage: 'retired' }),
      );
      const refused = await api.as(reviewer.token).post(`/v1/ai-use-cases/${useCase.id}/risk-tier-override`, {
        tier: 'high',
        reason: 'Reassessed it.',
      });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'invalid_state', rule: 'retired_is_final' });
      expect(refused.body.detail).toContain('retired');
    }, 30_000);

    it('refuses a regex scorer RE2 cannot run, naming scorers[i].pattern and the reason', async () => {
      const suite = [
        'name: sec-backreference',
        'version: 1',
        'dataset: benefits-enquiries@1',
        'target: { type: replay, cassette: benefits-triage }',
        'scorers:',
        '  - type: regex',
        "    pattern: '(\\w+) \\1'",
      ].join('\n');
      const refused = await api.as(alphaEngineer.token).upload('/v1/suites', suite, 'application/yaml');
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            field: 'scorers[0].pattern',
            message: expect.stringMatching(/^uses a backreference \(\\1\): .*RE2/),
          }),
        ]),
      );
    }, 30_000);

    it('marks the session cookie Secure only when the request came through a trusted TLS proxy', async () => {
      // No GATEHOUSE_TRUST_PROXY: a client cannot claim HTTPS with a header.
      const spoofed = await api.http.get('/sign-in').set('X-Forwarded-Proto', 'https').expect(200);
      expect(cookieNamed(spoofed, 'gh_signin_csrf')).not.toMatch(/Secure/);
      const proxied = await TestApi.start({ GATEHOUSE_TRUST_PROXY: 'loopback' });
      try {
        const viaTls = await proxied.http.get('/sign-in').set('X-Forwarded-Proto', 'https').expect(200);
        expect(cookieNamed(viaTls, 'gh_signin_csrf')).toMatch(/; Secure/);
        // A cookie jar would not send a Secure cookie over the test's plain HTTP: the proxy's hop is by hand.
        const csrf = /name="_csrf" value="([^"]+)"/.exec(viaTls.text)?.[1] ?? '';
        const user = await proxied.user('Tim Tls', ['service_team'], 'Sec Alpha');
        const signedIn = await proxied.http
          .post('/sign-in')
          .set('X-Forwarded-Proto', 'https')
          .set('Cookie', (cookieNamed(viaTls, 'gh_signin_csrf') ?? '').split(';')[0])
          .type('form')
          .send({ _csrf: csrf, token: user.token })
          .expect(303);
        expect(cookieNamed(signedIn, 'gh_session')).toMatch(/; Secure/);
        const plain = await proxied.http.get('/sign-in').expect(200);
        expect(cookieNamed(plain, 'gh_signin_csrf')).not.toMatch(/Secure/);
      } finally {
        await proxied.close();
      }
    }, 60_000);

    if (testDriver() === 'sqlite') {
      it('prints the start banner’s one-time tokens to standard error, never with the log lines on standard output', async () => {
        execFileSync(process.execPath, [join(root, 'tools/build.mjs')], { stdio: 'ignore' });
        const cwd = mkdtempSync(join(tmpdir(), 'gatehouse-banner-'));
        const { DATABASE_URL: _db, REDIS_URL: _redis, GATEHOUSE_TEST_MISSING: _m, ...rest } = process.env;
        const child = spawn(process.execPath, [MAIN], {
          cwd,
          env: {
            ...rest,
            PORT: '0',
            LOG_LEVEL: 'info',
            NODE_ENV: 'development',
            GATEHOUSE_SEED_EXAMPLES: 'true',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise((resolve) => child.once('exit', resolve));
        try {
          for (let i = 0; i < 300 && !/Example users/.test(stderr + stdout) && child.exitCode === null; i++) {
            await until(100);
          }
          expect(stderr).toMatch(/Administrator: ghk_\S+/);
          expect(stderr).toMatch(/Sam Patel\s+service_team\s+ghk_\S+/);
          expect(stdout).toMatch(/"level":/); // the JSON log lines
          expect(stdout).not.toMatch(/ghk_/);
        } finally {
          child.kill('SIGTERM');
          await exited;
          rmSync(cwd, { recursive: true, force: true });
        }
      }, 90_000);
    }
  },
  { needs: ['redis'] },
);
