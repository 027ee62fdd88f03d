import { ConfigError, databaseKindFromEnvironment, loadConfig } from './config';
import { Secret } from './secret';
import { inspect } from 'node:util';

describe('loadConfig', () => {
  it('defaults to the embedded mode: SQLite under .gatehouse/ and the in-process queue', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.database).toEqual({ kind: 'sqlite', file: '/srv/app/.gatehouse/gatehouse.sqlite' });
    expect(config.queue).toEqual({ kind: 'in-process' });
    expect(config.autoMigrate).toBe(true);
    expect(config.seedExamples).toBe(true);
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000, publicUrl: 'http://localhost:3000' });
  });

  it('selects PostgreSQL and Redis from their URLs and does not migrate or seed on its own', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://gh@db:5432/gatehouse',
      REDIS_URL: 'redis://cache:6379',
      DATABASE_POOL_SIZE: '20',
    });
    expect(config.database.kind).toBe('postgres');
    expect(config.database.kind === 'postgres' && config.database.poolSize).toBe(20);
    expect(config.queue.kind).toBe('redis');
    expect(config.autoMigrate).toBe(false);
    expect(config.seedExamples).toBe(false);
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'http://nope',
        GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: 'short',
        LOG_LEVEL: 'loud',
        GATEHOUSE_AUTO_MIGRATE: 'maybe',
        TZ: 'Europe/London',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(variables).toEqual([
      'DATABASE_URL',
      'GATEHOUSE_AUTO_MIGRATE',
      'GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN',
      'LOG_LEVEL',
      'PORT',
      'REDIS_URL',
      'TZ',
    ]);
    expect((error as Error).message).toContain('PORT: must be a whole number from 0 to 65535');
  });

  it('bounds the repairs the reconciler makes of a run without progress (default 5, 1–1000)', () => {
    expect(loadConfig({}).runs.reconcileMaxAttempts).toBe(5);
    expect(loadConfig({ GATEHOUSE_RECONCILE_MAX_ATTEMPTS: '12' }).runs.reconcileMaxAttempts).toBe(12);
    for (const bad of ['0', '1001', 'few']) {
      expect(() => loadConfig({ GATEHOUSE_RECONCILE_MAX_ATTEMPTS: bad })).toThrow(
        /GATEHOUSE_RECONCILE_MAX_ATTEMPTS: must be a whole number from 1 to 1000/,
      );
    }
  });

  it("limits each use case's ingest bytes per second (default 4 MiB/s, burst twice that, never below one maximal body)", () => {
    const MiB = 1_048_576;
    expect(loadConfig({}).live).toMatchObject({
      maxIngestBytesPerSecond: 4 * MiB,
      ingestBurstBytes: 8 * MiB,
      minIngestRequestBytes: 16 * 1024,
    });
    expect(loadConfig({ GATEHOUSE_INGEST_MIN_REQUEST_BYTES: '0' }).live.minIngestRequestBytes).toBe(0);
    expect(() => loadConfig({ GATEHOUSE_INGEST_MIN_REQUEST_BYTES: '2097152' })).toThrow(
      /GATEHOUSE_INGEST_MIN_REQUEST_BYTES/,
    );
    expect(
      loadConfig({ GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: '65536', GATEHOUSE_INGEST_BURST_BYTES: '262144' })
        .live,
    ).toMatchObject({ maxIngestBytesPerSecond: 65_536, ingestBurstBytes: 4 * MiB });
    expect(
      loadConfig({
        GATEHOUSE_INGEST_MAX_BYTES: '131072',
        GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: '65536',
        GATEHOUSE_INGEST_BURST_BYTES: '262144',
      }).live,
    ).toMatchObject({ maxIngestBytesPerSecond: 65_536, ingestBurstBytes: 262_144 });
    // A small rate's default burst is still one maximal body.
    expect(loadConfig({ GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: '1024' }).live.ingestBurstBytes).toBe(4 * MiB);
    expect(loadConfig({ GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: '0' }).live.maxIngestBytesPerSecond).toBe(0);
    for (const bad of ['-1', '1.5', 'lots', String(1025 * MiB)]) {
      expect(() => loadConfig({ GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: bad })).toThrow(
        /GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: must be a whole number from 0 to/,
      );
    }
    for (const bad of ['0', '1023', 'big']) {
      expect(() => loadConfig({ GATEHOUSE_INGEST_BURST_BYTES: bad })).toThrow(
        /GATEHOUSE_INGEST_BURST_BYTES: must be a whole number from 1024 to/,
      );
    }
  });

  it('never prints secrets, not even inside the error for a bad token', () => {
    const token = 'x'.repeat(20) + ' with a space and more characters';
    const config = loadConfig({ GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: 'a'.repeat(40) });
    expect(JSON.stringify(config)).not.toContain('a'.repeat(40));
    expect(inspect(config)).not.toContain('a'.repeat(40));
    expect(config.bootstrapAdminToken?.reveal()).toBe('a'.repeat(40));
    const withKey = loadConfig({ OPENAI_API_KEY: 'sk-secret-value' });
    expect(withKey.evalEnvironment.OPENAI_API_KEY).toBe('sk-secret-value');
    expect(JSON.stringify(withKey) + inspect(withKey)).not.toContain('sk-secret-value');
    expect(() => loadConfig({ GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: token })).toThrow(/printable/);
    expect(() => loadConfig({ GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: token })).not.toThrow(token);
    expect(`${new Secret('s3cret')}`).toBe('[secret]');
  });

  it.each([
    ['sqlite:data/test.db', '/w/data/test.db'],
    ['file:///tmp/x.db', '/tmp/x.db'],
    ['sqlite::memory:', ':memory:'],
  ])('reads the SQLite file from DATABASE_URL=%s', (url, file) => {
    expect(loadConfig({ DATABASE_URL: url }, '/w').database).toEqual({ kind: 'sqlite', file });
  });

  it('treats blank variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', REDIS_URL: '' }).queue.kind).toBe('in-process');
  });

  it('tells the driver from the URL', () => {
    expect(databaseKindFromEnvironment({ DATABASE_URL: 'postgresql://a/b' })).toBe('postgres');
    expect(databaseKindFromEnvironment({})).toBe('sqlite');
  });
});
