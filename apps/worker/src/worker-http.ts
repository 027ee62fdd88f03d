import { type MetricsService, type ReadinessService } from '@gatehouse/application';
import { createServer, type Server } from 'node:http';

/**
 * The worker has no API, only what operators and orchestrators need: /health/live, /health/ready
 * (database and Redis answer) and /metrics for Prometheus.
 */
export function startWorkerHttp(
  port: number,
  host: string,
  readiness: ReadinessService,
  metrics: MetricsService,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET') {
      json(405, { status: 405, detail: 'Only GET is served here.' });
    } else if (path === '/health/live') {
      json(200, { status: 'ok' });
    } else if (path === '/health/ready') {
      void readiness.check().then((report) => json(report.status === 'ok' ? 200 : 503, report));
    } else if (path === '/metrics') {
      void metrics
        .render()
        .then(({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType }).end(body));
    } else {
      json(404, {
        status: 404,
        detail: 'Not found: the worker serves /health/live, /health/ready and /metrics.',
      });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
