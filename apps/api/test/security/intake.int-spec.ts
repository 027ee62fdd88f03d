import { describeIntegration } from '@gatehouse/testing';
import { request as httpRequest } from 'node:http';
import { type AddressInfo } from 'node:net';
import { lowRiskRecord } from '../support/records';
import { TestApi, type TestUser } from '../support/test-api';

const NDJSON = 'application/x-ndjson';
const BODY_LIMIT = 64 * 1024;
const UPLOAD_LIMIT = 4 * 1024 * 1024;

/** `depth` levels of arrays and objects around a string. */
function nestedJson(depth: number): string {
  return `${'{"a":['.repeat(depth / 2)}"leaf"${']}'.repeat(depth / 2)}`;
}

interface EarlyAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  /** Bytes of the announced body actually sent before the answer came. */
  sent: number;
}

/**
 * Announces a large body, sends only its first `sendBytes`, then waits for an answer: one comes only if
 * the server answered without reading the body. Rejects if none arrives within `waitMs`.
 */
function answerBeforeBody(
  port: number,
  options: { path: string; contentType: string; announce: number; sendBytes: number; token?: string },
  waitMs = 10_000,
): Promise<EarlyAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: options.path,
      headers: {
        'Content-Type': options.contentType,
        'Content-Length': String(options.announce),
        ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${waitMs} ms: the server is waiting for the body`));
    }, waitMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          headers: res.headers,
          sent: options.sendBytes,
        });
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.write(Buffer.alloc(options.sendBytes, 0x20));
    // The rest of the body is never sent.
  });
}

describeIntegration('security: bounded work at the HTTP intake', () => {
  let api: TestApi;
  let port: number;
  let sam: TestUser;
  let eve: TestUser;

  beforeAll(async () => {
    api = await TestApi.start({
      GATEHOUSE_MAX_BODY_BYTES: String(BODY_LIMIT),
      GATEHOUSE_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
    });
    const server = api.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
  }, 120_000);

  afterAll(() => api?.close(), 60_000);

  const fields = (body: { errors: { field: string }[] }) => body.errors.map((e) => e.field);

  describe('authentication before any body is read', () => {
    it.each<[string, string, string, string | undefined]>([
      ['an upload with no token', '/v1/datasets?name=early', NDJSON, undefined],
      ['an upload with a made-up token', '/v1/datasets?name=early', NDJSON, 'ghk_made-up-token-0123456789'],
      ['a JSON body with no token', '/v1/ai-use-cases', 'application/json', undefined],
      ['a suite with no token', '/v1/suites', 'application/yaml', undefined],
    ])(
      '%s is refused with 401 while the body is still arriving',
      async (_name, path, contentType, token) => {
        const answer = await answerBeforeBody(port, {
          path,
          contentType,
          announce: 60 * 1024 * 1024,
          sendBytes: 16 * 1024,
          token,
        });
        expect(answer.status).toBe(401);
        expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(answer.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
        expect(answer.body).toMatchObject({ code: 'unauthenticated', status: 401, errors: [] });
        expect(answer.body.requestId).toEqual(expect.any(String));
      },
      30_000,
    );

    it('refuses a caller without the role (403) before reading its upload', async () => {
      const answer = await answerBeforeBody(port, {
        path: '/v1/datasets?name=early',
        contentType: NDJSON,
        announce: 60 * 1024 * 1024,
        sendBytes: 16 * 1024,
        token: sam.token,
      });
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'forbidden', rule: 'role_required' });
    }, 30_000);

    it('keeps the public routes and the sign-in form working', async () => {
      await api.http.get('/health/live').expect(200);
      await api.http.get('/metrics').expect(200);
      await api.http.get('/public/transparency-records').expect((res) => expect(res.status).not.toBe(401));
      const signIn = await api.http.get('/sign-in').expect(200);
      expect(signIn.text).toContain('<form');
      // The form is read (a wrong token re-renders the page), and stays small.
      await api.http
        .post('/sign-in')
        .type('form')
        .send({ token: 'ghk_not-a-token' })
        .expect((res) => expect(res.status).toBeLessThan(500));
      const tooBig = await api.http
        .post('/sign-in')
        .type('form')
        .send({ token: 'x'.repeat(300 * 1024) });
      expect(tooBig.status).toBe(413);
    }, 30_000);
  });

  describe('per-route body limits', () => {
    it('applies the small JSON limit to JSON routes and the upload limit only to uploads', async () => {
      const bigJson = await api
        .as(sam.token)
        .post('/v1/ai-use-cases', { record: { ...lowRiskRecord(), summary: 'x'.repeat(BODY_LIMIT) } })
        .expect(413);
      expect(bigJson.body.detail).toContain(String(BODY_LIMIT));

      // A JSON route does not read an upload type at all (it used to, up to the upload limit).
      const text = await api
        .as(sam.token)
        .upload('/v1/ai-use-cases', 'x'.repeat(BODY_LIMIT * 4), NDJSON)
        .expect(415);
      expect(fields(text.body)).toEqual(['(body)']);

      // An upload larger than the JSON limit is fine on an upload route...
      const lines = Array.from({ length: 3000 }, (_, i) =>
        JSON.stringify({ id: `q${i}`, input: `Question ${i} ${'y'.repeat(40)}` }),
      ).join('\n');
      expect(lines.length).toBeGreaterThan(BODY_LIMIT);
      const stored = await api.as(eve.token).upload('/v1/datasets?name=limits', lines, NDJSON).expect(201);
      expect(stored.body.itemCount).toBe(3000);

      // ...up to the upload limit.
      const huge = await api
        .as(eve.token)
        .upload('/v1/datasets?name=limits-huge', 'z'.repeat(UPLOAD_LIMIT + 1), NDJSON)
        .expect(413);
      expect(huge.body.detail).toContain(String(UPLOAD_LIMIT));
    }, 60_000);
  });

  describe('deep nesting and alias bombs are a 400', () => {
    it('refuses a JSON body nested 5,000 deep, naming (body) and the limit', async () => {
      const response = await api.http
        .post('/v1/ai-use-cases')
        .set('Authorization', `Bearer ${sam.token}`)
        .set('Content-Type', 'application/json')
        .send(`{"record": ${nestedJson(5000)}}`)
        .expect(400);
      expect(response.body.errors).toEqual([
        expect.objectContaining({
          field: '(body)',
          code: 'too_deep',
          message: expect.stringContaining('64'),
        }),
      ]);
    }, 30_000);

    it('refuses a dataset line nested 5,000 deep, naming the line', async () => {
      const jsonl = `{"id":"a","input":"x"}\n{"id":"b","input":"y","expected":${nestedJson(5000)}}\n`;
      const response = await api.as(eve.token).upload('/v1/datasets?name=deep', jsonl, NDJSON).expect(400);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ field: '(item)', message: expect.stringMatching(/^line 2: .*64 levels/) }),
      ]);
    }, 30_000);

    it('refuses a YAML alias bomb ("billion laughs")', async () => {
      const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (const [from, to] of [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'd'],
        ['d', 'e'],
        ['e', 'f'],
        ['f', 'g'],
        ['g', 'h'],
        ['h', 'i'],
      ]) {
        rows.push(`${to}: &${to} [${Array(9).fill(`*${from}`).join(',')}]`);
      }
      const response = await api
        .as(eve.token)
        .upload('/v1/suites', `${rows.join('\n')}\n`, 'application/yaml')
        .expect(400);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ field: '(yaml)', message: expect.stringContaining('alias') }),
      ]);
    }, 30_000);

    it.each([
      ['YAML nested 100 deep', `name: x\nmetadata: ${nestedJson(100)}\n`, 'application/yaml'],
      [
        'a JSON suite nested 5,000 deep',
        `{"name": "x", "metadata": ${nestedJson(5000)}}`,
        'application/json',
      ],
    ])(
      'refuses %s',
      async (_name, text, type) => {
        const response = await api.as(eve.token).upload('/v1/suites', text, type).expect(400);
        expect(response.body.code).toBe('validation_failed');
        expect(fields(response.body)).toEqual([expect.stringMatching(/^\((suite|yaml)\)$/)]);
      },
      30_000,
    );
  });

  describe('prototype keys are refused, not dropped', () => {
    let useCaseId: string;

    beforeAll(async () => {
      const created = await api
        .as(sam.token)
        .post('/v1/ai-use-cases', { record: lowRiskRecord() })
        .expect(201);
      useCaseId = created.body.id;
    }, 30_000);

    it.each(['__proto__', 'constructor', 'prototype'])(
      'refuses %s in a PATCH (JSON merge patch), naming the field',
      async (key) => {
        const response = await api.http
          .patch(`/v1/ai-use-cases/${useCaseId}`)
          .set('Authorization', `Bearer ${sam.token}`)
          .set('Content-Type', 'application/json')
          .send(`{"changes": {"${key}": {"name": "Renamed"}}, "reason": "test"}`)
          .expect(400);
        expect(response.body.errors).toEqual([
          expect.objectContaining({ field: `changes.${key}`, code: 'unsafe_key' }),
        ]);
        const after = await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}`).expect(200);
        expect(after.body.revision).toBe(1);
      },
      30_000,
    );

    it.each(['__proto__', 'constructor'])(
      'refuses %s in dataset item metadata, naming the line and field',
      async (key) => {
        const jsonl = `{"id":"a","input":"x"}\n{"id":"b","input":"y","metadata":{"${key}":{"team":"x"}}}\n`;
        const response = await api.as(eve.token).upload('/v1/datasets?name=proto', jsonl, NDJSON).expect(400);
        expect(response.body.errors).toEqual([
          expect.objectContaining({ field: `metadata.${key}`, message: expect.stringMatching(/^line 2: /) }),
        ]);
      },
      30_000,
    );
  });

  describe('a NUL character is refused at intake', () => {
    it('in a JSON body field, naming the field, storing nothing', async () => {
      const before = (await api.as(sam.token).get('/v1/ai-use-cases').expect(200)).body.total;
      const response = await api
        .as(sam.token)
        .post('/v1/ai-use-cases', { record: { ...lowRiskRecord(), name: 'Benefits\u0000triage' } })
        .expect(400);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ field: 'record.name', code: 'nul_character' }),
      ]);
      expect((await api.as(sam.token).get('/v1/ai-use-cases').expect(200)).body.total).toBe(before);
    }, 30_000);

    it('in a dataset line (escaped), naming the line and field', async () => {
      const jsonl = '{"id":"a","input":"x"}\n{"id":"b","input":"bad \\u0000 text"}\n';
      const response = await api.as(eve.token).upload('/v1/datasets?name=nul', jsonl, NDJSON).expect(400);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ field: 'input', message: expect.stringMatching(/^line 2: .*NUL/) }),
      ]);
    }, 30_000);

    it('as a raw byte in a text upload, naming the line', async () => {
      const jsonl = '{"id":"a","input":"x"}\n{"id":"b","input":"y"}\n{"id":"c","input":"bad \u0000"}\n';
      const response = await api.as(eve.token).upload('/v1/cassettes?name=nul', jsonl, NDJSON).expect(400);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ field: '(body)', message: expect.stringMatching(/^line 3: .*NUL/) }),
      ]);
    }, 30_000);

    it('in a YAML suite ("\\0"), naming the field', async () => {
      const response = await api
        .as(eve.token)
        .upload('/v1/suites', 'name: "bad\\0name"\n', 'application/yaml')
        .expect(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'name' })]);
      expect(response.body.errors[0].message).toContain('NUL');
    }, 30_000);
  });
});
