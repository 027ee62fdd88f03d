import { BootstrapService } from '@gatehouse/application';
import { loadConfig } from '@gatehouse/config';
import { type Role } from '@gatehouse/domain';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { type INestApplication } from '@nestjs/common';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApiApp } from '../../src/create-api-app';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';
/** 32 bytes in base64: the key connection secrets are sealed under in tests. */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/** What `waitForRun` conditions read of a run. */
export interface RunState {
  status: string;
  report: unknown;
}

/** Completed, failed or cancelled: no more items will run. */
export const settled = (run: RunState): boolean => ['completed', 'failed', 'cancelled'].includes(run.status);

/** Settled and its report written: a cancelled run can read `cancelled` before its report is there. */
export const reportWritten = (run: RunState): boolean =>
  ['completed', 'failed'].includes(run.status) || (run.status === 'cancelled' && run.report !== null);

export interface TestUser {
  id: string;
  token: string;
  teamId: string | null;
}

/** The API as main.ts builds it, on a database of its own, with helpers to make teams and users. */
export class TestApi {
  readonly logs: string[] = [];
  private teamIds = new Map<string, string>();

  private constructor(
    readonly app: INestApplication,
    readonly database: TestDatabase,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<TestApi> {
    const database = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: database.url,
      GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEHOUSE_SEED_EXAMPLES: 'false',
      GATEHOUSE_AUTO_MIGRATE: 'true',
      LOG_LEVEL: 'info',
      // The tests' model stubs listen on loopback, which the egress policy refuses unless allowed.
      GATEHOUSE_EGRESS_ALLOW: '127.0.0.1',
      GATEHOUSE_SECRETS_KEY: TEST_SECRETS_KEY,
      ...env,
    });
    const logStream = new PassThrough();
    // The OpenAPI document (about 1.8 s of CPU) is built only if a test asks for /docs.
    const app = await createApiApp(config, { logStream, openApiDocument: 'on-first-request' });
    const api = new TestApi(app, database);
    logStream.on('data', (chunk: Buffer) => api.logs.push(chunk.toString()));
    await app.init();
    await app.get(BootstrapService).run();
    return api;
  }

  get http(): TestAgent {
    return request(this.app.getHttpServer());
  }

  as(token: string) {
    const auth = { Authorization: `Bearer ${token}` };
    const http = this.http;
    return {
      get: (url: string) => http.get(url).set(auth),
      post: (url: string, body?: object) => http.post(url).set(auth).send(body),
      patch: (url: string, body?: object) => http.patch(url).set(auth).send(body),
      put: (url: string, body?: object) => http.put(url).set(auth).send(body),
      /** A text upload (JSONL, YAML) with its media type. */
      upload: (url: string, text: string, contentType: string) =>
        http.post(url).set(auth).set('Content-Type', contentType).send(text),
    };
  }

  get admin() {
    return this.as(ADMIN_TOKEN);
  }

  /**
   * An admin-managed provider connection (the only way platform targets reach a model): an OpenAI-compatible
   * one by default, for every team unless `teams` names some.
   */
  async connection(
    name: string,
    baseUrl: string,
    options: { kind?: 'openai' | 'http'; secret?: string; teams?: string[] } = {},
  ): Promise<void> {
    await this.admin
      .post('/v1/connections', {
        name,
        kind: options.kind ?? 'openai',
        baseUrl,
        teams: options.teams ?? ['*'],
        secret: options.secret ?? 'sk-stub',
      })
      .expect(201);
  }

  async team(name: string): Promise<string> {
    const known = this.teamIds.get(name);
    if (known) {
      return known;
    }
    const response = await this.admin.post('/v1/teams', { name }).expect(201);
    this.teamIds.set(name, response.body.id);
    return response.body.id;
  }

  async user(name: string, roles: Role[], team: string | null): Promise<TestUser> {
    const teamId = team ? await this.team(team) : null;
    const response = await this.admin.post('/v1/users', { name, roles, teamId }).expect(201);
    return { id: response.body.user.id, token: await this.enrol(response.body.enrolment.token), teamId };
  }

  /** Exchanges a one-time enrolment token, as the new user does, for their own API token. */
  async enrol(enrolmentToken: string): Promise<string> {
    const response = await this.http.post('/v1/enrolments').send({ token: enrolmentToken }).expect(201);
    return response.body.token.token as string;
  }

  /**
   * Reads a run until it settles (completed, failed, or cancelled; or until `until` holds, for example
   * `reportWritten`) and returns it as the API shows it; 30 s at most, in 50 ms steps, so a run that never
   * ends fails the test with its id.
   */
  async waitForRun(
    id: string,
    token: string,
    until: (run: RunState) => boolean = settled,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the run as JSON, asserted by each test
  ): Promise<any> {
    for (let i = 0; i < 600; i++) {
      const { body } = await this.as(token).get(`/v1/runs/${id}`).expect(200);
      if (until(body)) {
        return body;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`run ${id} did not settle`);
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.database.drop();
  }
}
