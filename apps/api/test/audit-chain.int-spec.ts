import { AuditEventEntity } from '@gatehouse/persistence';
import { describeIntegration } from '@gatehouse/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

const run = promisify(execFile);
const CLI = join(__dirname, '../../../bin/gatehouse.js');

describeIntegration('the audit hash chain', () => {
  let api: TestApi;
  let sam: TestUser;
  let dataSource: DataSource;

  beforeAll(async () => {
    api = await TestApi.start();
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    dataSource = api.app.get(DataSource);
  });

  afterAll(() => api?.close());

  const verify = async () => (await api.admin.get('/v1/audit-events/verify').expect(200)).body;
  const cli = async (...args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, [CLI, ...args], {
        env: { ...process.env, DATABASE_URL: api.database.url },
      });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout + failed.stderr };
    }
  };
  const events = () => dataSource.getRepository(AuditEventEntity);

  it('stays one unforked chain under concurrent writers', async () => {
    const before = (await verify()).headSeq;
    const writes = Array.from({ length: 25 }, (_, i) =>
      api.as(sam.token).post('/v1/ai-use-cases', { record: { ...lowRiskRecord(), name: `Concurrent ${i}` } }),
    );
    expect((await Promise.all(writes)).map((r) => r.status)).toEqual(Array(25).fill(201));
    const report = await verify();
    expect(report).toMatchObject({
      ok: true,
      headSeq: before + 25,
      eventsChecked: before + 25,
      firstBreak: null,
    });
    const seqs = (await events().find({ select: { seq: true }, order: { seq: 'ASC' } })).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });

  it('names an event whose content was edited in the database, through the API and the CLI', async () => {
    const target = await events().findOneByOrFail({ seq: 5 });
    await events().update({ seq: 5 }, { reason: 'quietly edited' });
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ problem: 'content_hash_mismatch', seq: 5, eventId: target.id });
    const cliReport = await cli('audit', 'verify');
    expect(cliReport.code).toBe(1);
    expect(cliReport.stdout).toContain(`BROKEN at event 5 (content_hash_mismatch, event id ${target.id})`);
    await events().update({ seq: 5 }, { reason: target.reason });
    expect((await verify()).ok).toBe(true);
  });

  it('names a deleted event, and one cut from the end', async () => {
    const middle = await events().findOneByOrFail({ seq: 7 });
    await events().delete({ seq: 7 });
    expect((await verify()).firstBreak).toMatchObject({ problem: 'missing_event', seq: 7 });
    await events().insert(middle);
    expect((await verify()).ok).toBe(true);

    const head = (await verify()).headSeq;
    const last = await events().findOneByOrFail({ seq: head });
    await events().delete({ seq: head });
    const report = await verify();
    expect(report.firstBreak).toMatchObject({ problem: 'missing_event', seq: head });
    expect(report.firstBreak.detail).toContain(`events ${head}-${head} are missing`);
    await events().insert(last);
    const cliReport = await cli('audit', 'verify', '--json');
    expect(cliReport.code).toBe(0);
    expect(JSON.parse(cliReport.stdout)).toMatchObject({ ok: true, headSeq: head });
  });
});
