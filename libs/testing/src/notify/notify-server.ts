import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

/** An e-mail the local Notify server accepted. */
export interface ReceivedEmail {
  id: string;
  templateId: string;
  emailAddress: string;
  personalisation: Record<string, unknown>;
  reference: string | null;
  /** The personalisation keys the sender asked Notify to sanitise (escape Markdown, remove URLs). */
  sanitised: string[];
  /** The service id the request's token was issued for (`iss`). */
  serviceId: string;
  receivedAt: Date;
}

export interface NotifyServer {
  /** Base URL to give the Notify client (GATEHOUSE_NOTIFY_BASE_URL). */
  url: string;
  /** An API key this server accepts (`{name}-{service id}-{secret}`, GATEHOUSE_NOTIFY_API_KEY). */
  apiKey: string;
  emails: ReceivedEmail[];
  /** Every request, refused or not, by status. */
  answered: number[];
  /** Answers the next `count` e-mail requests with `status` (500, 429, 400…) and a Notify-shaped error. */
  failNext(count: number, status: number): void;
  /** Resolves once `count` e-mails have been accepted (rejects after `timeoutMs`). */
  waitForEmails(count: number, timeoutMs?: number): Promise<ReceivedEmail[]>;
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ERROR_NAMES: Record<number, string> = {
  400: 'BadRequestError',
  403: 'AuthError',
  429: 'RateLimitError',
  500: 'Exception',
};

/**
 * A local server speaking GOV.UK Notify's HTTP API for e-mails (`POST /v2/notifications/email`), so tests
 * exercise the official client end to end. Like Notify it checks the bearer JWT (HS256 signed with the
 * API key's secret, `iss` the service id, `iat` within 30 seconds), validates `template_id` (one of
 * `templates` when given), `email_address`, `personalisation` (an object) and `reference`, and answers
 * 201 with a Notify-shaped notification; errors are `{ status_code, errors: [{ error, message }] }`.
 */
export async function startNotifyServer(options: { templates?: string[] } = {}): Promise<NotifyServer> {
  const serviceId = randomUUID();
  const secret = randomUUID();
  const waiters: { count: number; resolve: (emails: ReceivedEmail[]) => void }[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 500 };

  const state = {
    emails: [] as ReceivedEmail[],
    answered: [] as number[],
  };

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    state.answered.push(status);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, message: string, name = ERROR_NAMES[status]) =>
    answer(res, status, { status_code: status, errors: [{ error: name ?? 'Exception', message }] });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/v2/notifications/email') {
      return error(res, 404, 'Not found', 'NotFound');
    }
    const text = await readBody(req);
    const authProblem = checkToken(req.headers.authorization, serviceId, secret);
    if (authProblem) {
      return error(res, 403, authProblem, 'AuthError');
    }
    if (failures.count > 0) {
      failures.count -= 1;
      return error(res, failures.status, `Injected failure ${failures.status}`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return error(res, 400, 'Invalid JSON', 'BadRequestError');
    }
    const problems: string[] = [];
    if (typeof body['template_id'] !== 'string' || !UUID.test(body['template_id'])) {
      problems.push('template_id is not a valid UUID');
    }
    if (typeof body['email_address'] !== 'string' || !EMAIL.test(body['email_address'])) {
      problems.push('email_address Not a valid email address');
    }
    const personalisation = body['personalisation'] ?? {};
    if (typeof personalisation !== 'object' || personalisation === null || Array.isArray(personalisation)) {
      problems.push('personalisation is not of type object');
    }
    if (
      body['reference'] !== undefined &&
      (typeof body['reference'] !== 'string' || body['reference'].length > 1000)
    ) {
      problems.push('reference is not a string of at most 1000 characters');
    }
    const sanitised = body['sanitise_content_for'] ?? [];
    if (
      !Array.isArray(sanitised) ||
      !sanitised.every((key) => typeof key === 'string' && Object.hasOwn(personalisation as object, key))
    ) {
      problems.push('sanitise_content_for must list keys of personalisation');
    }
    const known = Object.keys(body).filter(
      (key) =>
        ![
          'template_id',
          'email_address',
          'personalisation',
          'reference',
          'email_reply_to_id',
          'sanitise_content_for',
        ].includes(key),
    );
    if (known.length > 0) {
      problems.push(`Additional properties are not allowed (${known.join(', ')} were unexpected)`);
    }
    if (problems.length > 0) {
      return answer(res, 400, {
        status_code: 400,
        errors: problems.map((message) => ({ error: 'ValidationError', message })),
      });
    }
    const templateId = body['template_id'] as string;
    if (options.templates && !options.templates.includes(templateId)) {
      return error(res, 400, 'Template not found', 'BadRequestError');
    }
    const email: ReceivedEmail = {
      id: randomUUID(),
      templateId,
      emailAddress: body['email_address'] as string,
      personalisation: personalisation as Record<string, unknown>,
      reference: (body['reference'] as string | undefined) ?? null,
      sanitised: sanitised as string[],
      serviceId,
      receivedAt: new Date(),
    };
    state.emails.push(email);
    answer(res, 201, {
      id: email.id,
      reference: email.reference,
      content: {
        subject: String(email.personalisation['title'] ?? 'Gatehouse'),
        body: Object.entries(email.personalisation)
          .map(([key, value]) => `${key}: ${String(value)}`)
          .join('\n'),
        from_email: 'gatehouse@notifications.service.gov.uk',
      },
      uri: `/v2/notifications/${email.id}`,
      template: { id: templateId, version: 1, uri: `/v2/template/${templateId}` },
    });
    for (const waiter of [...waiters]) {
      if (state.emails.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve([...state.emails]);
      }
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => error(res, 500, 'Internal server error'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: `gatehouse_test-${serviceId}-${secret}`,
    get emails() {
      return state.emails;
    },
    get answered() {
      return state.answered;
    },
    failNext(count: number, status: number) {
      failures = { count, status };
    },
    waitForEmails(count: number, timeoutMs = 30_000) {
      if (state.emails.length >= count) {
        return Promise.resolve([...state.emails]);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`local Notify got ${state.emails.length} of ${count} e-mails in ${timeoutMs} ms`),
            ),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: (emails) => {
            clearTimeout(timer);
            resolve(emails);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } as NotifyServer;
}

/** Why the bearer token is refused (as Notify words it), or null: HS256, `iss` the service, `iat` fresh. */
function checkToken(header: string | undefined, serviceId: string, secret: string): string | null {
  const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
  if (!token) {
    return 'Unauthorized: authentication token must be provided';
  }
  const [head, payload, signature] = token.split('.');
  if (!head || !payload || !signature) {
    return 'Invalid token: not a JWT';
  }
  let claims: { iss?: unknown; iat?: unknown };
  let algorithm: unknown;
  try {
    algorithm = (JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: unknown }).alg;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as typeof claims;
  } catch {
    return 'Invalid token: not a JWT';
  }
  if (algorithm !== 'HS256') {
    return 'Invalid token: algorithm used is not HS256';
  }
  const expected = createHmac('sha256', secret).update(`${head}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'Invalid token: signature, api token not found';
  }
  if (claims.iss !== serviceId) {
    return 'Invalid token: service not found';
  }
  if (typeof claims.iat !== 'number' || Math.abs(Date.now() / 1000 - claims.iat) > 30) {
    return 'Error: Your system clock must be accurate to within 30 seconds';
  }
  return null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1_000_000) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
