import { type IdentityService, identityServiceOn } from '@gatehouse/application';
import { SYSTEM_ACTOR } from '@gatehouse/domain';
import { ApiTokenEntity, EnrolmentEntity } from '@gatehouse/persistence';
import { describeIntegration, useTestDataSource } from '@gatehouse/testing';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gatehouse, ROOT as root } from './support/cli-process';

/** `gatehouse users …`: the operator's way back in is a new enrolment, never a token minted for someone. */
describeIntegration('gatehouse users', () => {
  jest.setTimeout(120_000);
  const db = useTestDataSource();
  let identity: IdentityService;
  let env: Record<string, string>;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/build.mjs')], { stdio: 'ignore' });
    const uow = db.uow;
    identity = identityServiceOn(uow, { enrolmentTtlHours: 72 });
    const { REDIS_URL: _redis, ...rest } = process.env;
    env = { ...rest, DATABASE_URL: db.database.url, LOG_LEVEL: 'warn' } as Record<string, string>;
  }, 120_000);

  it('re-enrols a user: prints a one-time enrolment token and revokes their API tokens', async () => {
    const system = { actor: SYSTEM_ACTOR, requestId: null };
    const { user, enrolment } = await identity.createUser(
      { ...system, actor: { ...SYSTEM_ACTOR, roles: ['admin'] } },
      { name: 'Ada Admin', email: 'ada@example.gov.uk', roles: ['admin'] },
    );
    const { token } = await identity.exchangeEnrolment({ token: enrolment.token }, null);
    expect(await identity.authenticate(token.token)).toMatchObject({ id: user.id });

    const listed = await gatehouse(['users', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('Ada Admin');

    const enrolled = await gatehouse(['users', 'enrol', 'ada@example.gov.uk', '--reason', 'Lost token'], env);
    expect(enrolled.stderr).toContain('1 API token revoked');
    expect(enrolled.code).toBe(0);
    const printed = enrolled.stdout.trim();
    expect(printed).toMatch(/^ghe_\S+$/);
    expect(await identity.authenticate(token.token)).toBeNull();
    const rows = await db.dataSource.manager.findBy(EnrolmentEntity, { userId: user.id });
    expect(rows.map((r) => r.createdBy).sort()).toEqual(['cli', 'system']);
    const again = await identity.exchangeEnrolment({ token: printed }, null);
    expect(await identity.authenticate(again.token.token)).toMatchObject({ id: user.id });
    expect(await db.dataSource.manager.countBy(ApiTokenEntity, { userId: user.id })).toBe(2);

    const unknown = await gatehouse(['users', 'enrol', 'nobody@example.gov.uk'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no user "nobody@example.gov.uk"');
    const gone = await gatehouse(['users', 'issue-token', 'ada@example.gov.uk'], env);
    expect(gone.code).not.toBe(0);
  });
});
