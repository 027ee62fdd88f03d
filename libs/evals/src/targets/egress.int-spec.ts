import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { EgressPolicy, EgressRefusedError } from './egress';
import { createLightFetch, ResponseTooLargeError } from './light-fetch';
import { classifyError } from './target';

jest.setTimeout(30_000);

describe('the egress policy', () => {
  describe('refusal', () => {
    const policy = new EgressPolicy({
      allow: ['10.20.0.0/16', 'models.internal:8000', '[fd00::5]:9000', '192.168.1.7'],
      selfPorts: [3000, 3001],
      selfHosts: ['gatehouse.example.gov.uk'],
    });

    it.each<[string, string, number, string, RegExp | null]>([
      ['a public address', '93.184.216.34', 443, 'api.example', null],
      ['loopback', '127.0.0.1', 8080, 'localhost', /loopback.*GATEHOUSE_EGRESS_ALLOW/],
      ['IPv6 loopback', '::1', 8080, '::1', /loopback/],
      ['a private range', '172.16.4.4', 80, '172.16.4.4', /private/],
      ['an allow-listed range', '10.20.3.4', 80, '10.20.3.4', null],
      ['outside the allow-listed range', '10.21.3.4', 80, '10.21.3.4', /private/],
      ['an allow-listed host on its port', '10.9.9.9', 8000, 'models.internal', null],
      ['an allow-listed host on another port', '10.9.9.9', 8001, 'models.internal', /private/],
      ['an allow-listed IPv6 address and port', 'fd00::5', 9000, 'fd00::5', null],
      ['an allow-listed address', '192.168.1.7', 80, '192.168.1.7', null],
      [
        'the metadata address, whatever the list',
        '169.254.169.254',
        80,
        'metadata.google.internal',
        /metadata/,
      ],
      ['AWS metadata over IPv6', 'fd00:ec2::254', 80, 'fd00:ec2::254', /metadata/],
      ['an IPv4-mapped IPv6 private address', '::ffff:10.0.0.1', 80, 'x', /private/],
      ['carrier-grade NAT', '100.64.1.1', 80, 'x', /shared/],
      ['link-local', '169.254.10.10', 80, 'x', /link-local/],
      ['the unspecified address', '0.0.0.0', 80, 'x', /unspecified/],
      ['this server on loopback', '127.0.0.1', 3000, 'localhost', /itself/],
      ['this server by its public name', '93.184.216.34', 3001, 'gatehouse.example.gov.uk', /itself/],
      [
        'this server by its public name behind a TLS proxy',
        '93.184.216.34',
        443,
        'gatehouse.example.gov.uk',
        /itself/,
      ],
      ['the metadata address spelt as IPv4-mapped IPv6', '::ffff:a9fe:a9fe', 80, 'x', /metadata/],
    ])('%s', (_name, address, port, host, expected) => {
      const refusal = policy.refusal(address, port, host);
      expect(refusal === null ? null : expected?.test(refusal)).toBe(expected === null ? null : true);
    });

    it('refuses the metadata address even inside an allow-listed range', () => {
      const open = new EgressPolicy({ allow: ['169.254.0.0/16'], selfPorts: [] });
      expect(open.refusal('169.254.10.10', 80, 'x')).toBeNull();
      expect(open.refusal('::ffff:169.254.169.254', 80, 'x')).toMatch(/metadata/);
    });

    it('refuses the server itself even when loopback is allowed', () => {
      const open = new EgressPolicy({ allow: ['127.0.0.0/8'], selfPorts: [3000] });
      expect(open.refusal('127.0.0.1', 4000, '127.0.0.1')).toBeNull();
      expect(open.refusal('127.0.0.1', 3000, '127.0.0.1')).toMatch(/itself/);
    });
  });

  describe('on every socket', () => {
    let server: Server;
    let port: number;

    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/redirect') {
          res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
          return;
        }
        if (req.url === '/big') {
          res.end('x'.repeat(50_000));
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });

    afterAll(() => new Promise((resolve) => server.close(resolve)));

    const fetchWith = (allow: string[], maxResponseBytes = 10_000) =>
      createLightFetch({
        dispatcher: new EgressPolicy({ allow, selfPorts: [] }).dispatcher(),
        maxResponseBytes,
        strict: true,
      });

    it('refuses a loopback address and a name that resolves to one, before any byte is sent', async () => {
      const guarded = fetchWith([]);
      await expect(guarded(`http://127.0.0.1:${port}/`)).rejects.toBeInstanceOf(EgressRefusedError);
      const byName = guarded(`http://localhost:${port}/`);
      await expect(byName).rejects.toThrow(/loopback/);
      expect(classifyError(await byName.catch((e: unknown) => e))).toMatchObject({
        kind: 'configuration',
        retryable: false,
      });
    });

    it('lets an allow-listed address through', async () => {
      const response = await fetchWith(['127.0.0.1'])(`http://127.0.0.1:${port}/`);
      expect(await response.json()).toEqual({ ok: true });
    });

    it('does not follow a redirect', async () => {
      const response = await fetchWith(['127.0.0.1'])(`http://127.0.0.1:${port}/redirect`);
      expect(response.status).toBe(302);
    });

    it('stops reading an answer over the cap', async () => {
      const call = fetchWith(['127.0.0.1'], 1024)(`http://127.0.0.1:${port}/big`);
      await expect(call).rejects.toBeInstanceOf(ResponseTooLargeError);
      expect(classifyError(await call.catch((e: unknown) => e))).toMatchObject({
        kind: 'response_too_large',
      });
    });

    it('refuses what it cannot check instead of handing it to the global fetch', async () => {
      await expect(fetchWith(['127.0.0.1'])('file:///etc/passwd')).rejects.toThrow(/only http/);
    });
  });
});
