import { describeIntegration } from '@gatehouse/testing';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { cappedFetch, MAX_PROVIDER_ANSWER_BYTES } from './oidc-client';

/** A GET as openid-client hands it to its fetch. */
const GET: Parameters<typeof cappedFetch>[1] = {
  method: 'GET',
  headers: {},
  body: undefined,
  redirect: 'manual',
};

/** Every call to the identity provider goes through cappedFetch: a local server answers in its place. */
describeIntegration('answers from the identity provider are size-capped', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes'));
      if (req.url?.startsWith('/chunked')) {
        // No content-length: the cap must hold while reading, not only on the header.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let sent = 0;
        const more = () => {
          while (sent < size) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', more);
              return;
            }
          }
          res.end();
        };
        more();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(size) });
      res.end(Buffer.alloc(size, 'b'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('passes an answer within the cap on unchanged', async () => {
    const response = await cappedFetch(`${base}/doc?bytes=2048`, GET);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect((await response.text()).length).toBe(2048);
  });

  it('refuses an answer whose declared length is over the cap', async () => {
    await expect(cappedFetch(`${base}/doc?bytes=${MAX_PROVIDER_ANSWER_BYTES + 1}`, GET)).rejects.toThrow(
      /larger than 1048576 bytes/,
    );
  });

  it('stops reading an answer without a length once it passes the cap', async () => {
    await expect(cappedFetch(`${base}/chunked?bytes=${8 * MAX_PROVIDER_ANSWER_BYTES}`, GET)).rejects.toThrow(
      /larger than 1048576 bytes/,
    );
  });
});
