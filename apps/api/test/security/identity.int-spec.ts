import { DEFAULT_GATE_POLICY, type GateRule } from '@gatehouse/domain';
import { EnrolmentEntity, UnitOfWork, UserEntity, writeWith } from '@gatehouse/persistence';
import { describeIntegration } from '@gatehouse/testing';
import { lowRiskRecord } from '../support/records';
import { signIn } from '../support/web';
import { ADMIN_TOKEN, TestApi, type TestUser } from '../support/test-api';

/**
 * Issue 10, "no one approves alone": an admin cannot change its own roles or mint a token for someone
 * else; a new user's first credential is a one-time, short-lived enrolment token only they exchange; role
 * grants are recorded and audited; a gate can refuse approvals by reviewers who granted themselves the role.
 */
describeIntegration('security: no one approves alone', () => {
  jest.setTimeout(120_000);
  const TTL_HOURS = 2;
  let api: TestApi;
  let adminId: string;
  let sam: TestUser; // service team, owns the use case
  let rita: TestUser; // reviewer granted by the admin
  let ben: TestUser; // a second admin

  const createUser = (name: string, roles: string[], teamId: string | null = null) =>
    api.admin.post('/v1/users', { name, roles, teamId }).expect(201);
  const exchange = (token: string) => api.http.post('/v1/enrolments').send({ token });
  const setGrants = (userId: string, grants: Record<string, string> | null) =>
    writeWith(api.app.get(UnitOfWork), (m) =>
      m.update(UserEntity, { id: userId }, { rolesGrantedBy: grants }),
    );
  const auditOf = async (action: string) =>
    (await api.admin.get(`/v1/audit-events?action=${action}&limit=200`).expect(200)).body.items as {
      actorId: string;
      subjectId: string;
      before: Record<string, unknown> | null;
      after: Record<string, unknown> | null;
    }[];

  beforeAll(async () => {
    api = await TestApi.start({ GATEHOUSE_ENROLMENT_TTL_HOURS: String(TTL_HOURS) });
    adminId = (await api.admin.get('/v1/users/me').expect(200)).body.id;
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    ben = await api.user('Ben', ['admin'], null);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
  });

  describe('an admin and its own roles', () => {
    it('refuses an admin giving itself the reviewer role (403 naming roles), and changes nothing', async () => {
      const refused = await api.admin
        .patch(`/v1/users/${adminId}`, { roles: ['admin', 'reviewer'] })
        .expect(403);
      expect(refused.body).toMatchObject({ code: 'forbidden', rule: 'no_own_role_change' });
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'roles', code: 'own_roles' })]);
      expect(refused.body.detail).toContain('own roles');
      expect((await api.admin.get('/v1/users/me').expect(200)).body.roles).toEqual(['admin']);
      await api.admin.patch(`/v1/users/${adminId}`, { roles: ['reviewer'] }).expect(403);
    });

    it('still lets an admin change its own name, or send its roles unchanged', async () => {
      const renamed = await api.admin
        .patch(`/v1/users/${adminId}`, { name: 'Administrator', roles: ['admin'] })
        .expect(200);
      expect(renamed.body.roles).toEqual(['admin']);
    });

    it('records and audits who granted each role when another admin grants it', async () => {
      const granted = await api
        .as(ben.token)
        .patch(`/v1/users/${adminId}`, {
          roles: ['admin', 'reviewer'],
          reason: 'Second reviewer for high risk',
        })
        .expect(200);
      expect(granted.body.rolesGrantedBy).toEqual({ admin: 'system', reviewer: ben.id });
      const changes = (await auditOf('user.roles_changed')).filter((e) => e.subjectId === adminId);
      expect(changes).toEqual([
        expect.objectContaining({
          actorId: ben.id,
          after: expect.objectContaining({ granted: ['reviewer'], removed: [], by: ben.id }),
        }),
      ]);
      const removed = await api
        .as(ben.token)
        .patch(`/v1/users/${adminId}`, { roles: ['admin'] })
        .expect(200);
      expect(removed.body.rolesGrantedBy).toEqual({ admin: 'system' });
      expect((await auditOf('user.roles_changed')).filter((e) => e.subjectId === adminId)).toHaveLength(2);
      const rita_ = await api.admin.get(`/v1/users/${rita.id}`).expect(200);
      expect(rita_.body.rolesGrantedBy).toEqual({ reviewer: adminId });
    });
  });

  describe('tokens', () => {
    it('refuses an admin minting a token for another user', async () => {
      const refused = await api.admin.post(`/v1/users/${rita.id}/tokens`, { name: 'mine now' }).expect(403);
      expect(refused.body).toMatchObject({ code: 'forbidden', rule: 'tokens_only_for_self' });
      const tokens = await api.admin.get(`/v1/users/${rita.id}/tokens`).expect(200);
      expect(tokens.body.map((t: { name: string }) => t.name)).toEqual(['default']);
    });

    it('lets people issue their own tokens, at /users/me/tokens or their own id', async () => {
      const own = await api.as(rita.token).post('/v1/users/me/tokens', { name: 'laptop' }).expect(201);
      await api.as(own.body.token).get('/v1/users/me').expect(200);
      // Admins still revoke anyone's tokens.
      await api.admin.post(`/v1/tokens/${own.body.id}/revoke`, { reason: 'Laptop stolen' }).expect(200);
      await api.as(own.body.token).get('/v1/users/me').expect(401);
      await api.as(rita.token).post(`/v1/users/${rita.id}/tokens`, { name: 'ci' }).expect(201);
      await api.admin.post('/v1/users/me/tokens', { name: 'admin laptop' }).expect(201);
      await api.as(rita.token).post(`/v1/users/${sam.id}/tokens`, { name: 'x' }).expect(403);
    });
  });

  describe('enrolment', () => {
    it('gives a new user a one-time, short-lived enrolment token instead of an API token', async () => {
      const before = Date.now();
      const created = await createUser('Nia', ['engineer'], sam.teamId);
      expect(created.body.token).toBeUndefined();
      const { enrolment } = created.body;
      expect(enrolment.token).toMatch(/^ghe_/);
      const ttl = Date.parse(enrolment.expiresAt) - before;
      expect(ttl).toBeGreaterThan(TTL_HOURS * 3_600_000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(TTL_HOURS * 3_600_000 + 60_000);
      // Not an API token: it opens nothing but the exchange.
      await api.as(enrolment.token).get('/v1/users/me').expect(401);
      const enrolled = await exchange(enrolment.token).expect(201);
      expect(enrolled.body.user.id).toBe(created.body.user.id);
      const me = await api.as(enrolled.body.token.token).get('/v1/users/me').expect(200);
      expect(me.body.name).toBe('Nia');
      const exchanged = (await auditOf('enrolment.exchanged')).find((e) => e.subjectId === enrolment.id);
      expect(exchanged?.actorId).toBe(created.body.user.id);
      expect(exchanged?.after).toMatchObject({ issuedApiId: enrolled.body.token.id });
    });

    it('refuses a reused enrolment token, even two exchanges at once', async () => {
      const { enrolment } = (await createUser('Ola', ['reviewer'])).body;
      const both = await Promise.all([exchange(enrolment.token), exchange(enrolment.token)]);
      expect(both.map((r) => r.status).sort()).toEqual([201, 401]);
      const again = await exchange(enrolment.token).expect(401);
      expect(again.body.rule).toBe('enrolment_used');
      expect(again.body.errors).toEqual([expect.objectContaining({ field: 'token' })]);
    });

    it('refuses an expired enrolment token, and an unknown one', async () => {
      const created = await createUser('Pat', ['reviewer']);
      await writeWith(api.app.get(UnitOfWork), (m) =>
        m.update(
          EnrolmentEntity,
          { userId: created.body.user.id },
          { expiresAt: new Date(Date.now() - 1000) },
        ),
      );
      const expired = await exchange(created.body.enrolment.token).expect(401);
      expect(expired.body.rule).toBe('enrolment_expired');
      const unknown = await exchange('ghe_0000000000000000000000000000000000000000000').expect(401);
      expect(unknown.body.rule).toBe('enrolment_unknown');
      await exchange(ADMIN_TOKEN).expect(401); // an API token is not an enrolment token
    });

    it('lets an admin re-issue an enrolment, which revokes every token of the user, audited', async () => {
      const created = await createUser('Quinn', ['reviewer']);
      const first = await exchange(created.body.enrolment.token).expect(201);
      const second = (
        await api.as(first.body.token.token).post('/v1/users/me/tokens', { name: 'b' }).expect(201)
      ).body.token;
      await api.as(sam.token).post(`/v1/users/${created.body.user.id}/enrolment`, {}).expect(403);
      const reissued = await api.admin
        .post(`/v1/users/${created.body.user.id}/enrolment`, { reason: 'Lost laptop' })
        .expect(201);
      expect(reissued.body.revokedTokens).toBe(2);
      await api.as(first.body.token.token).get('/v1/users/me').expect(401);
      await api.as(second).get('/v1/users/me').expect(401);
      const revoked = (await auditOf('api_token.revoked')).filter(
        (e) => e.after?.userId === created.body.user.id,
      );
      expect(revoked.map((e) => e.actorId)).toEqual([adminId, adminId]);
      const issued = (await auditOf('enrolment.issued')).find(
        (e) => e.subjectId === reissued.body.enrolment.id,
      );
      expect(issued?.after).toMatchObject({ revokedCount: 2 });
      // A pending enrolment is replaced by the next one.
      const pending = await api.admin.post(`/v1/users/${created.body.user.id}/enrolment`, {}).expect(201);
      expect((await exchange(reissued.body.enrolment.token).expect(401)).body.rule).toBe('enrolment_revoked');
      await exchange(pending.body.enrolment.token).expect(201);
    });

    it('keeps the bootstrap admin token working', async () => {
      await api.admin.get('/v1/users/me').expect(200);
    });
  });

  describe('a gate needing reviewers granted by someone else', () => {
    let useCaseId: string;
    const evaluate = async () =>
      (
        await api
          .as(sam.token)
          .post(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'test' })
          .expect((r) => expect([200, 201]).toContain(r.status))
      ).body.id as string;
    const reject = (token: string, evaluationId: string) =>
      api.as(token).post(`/v1/gate-evaluations/${evaluationId}/approvals`, {
        decision: 'reject',
        reason: 'Not ready yet.',
      });

    beforeAll(async () => {
      useCaseId = (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201))
        .body.id;
    });

    it('is on in the seeded policy, and refuses a self-granted or unrecorded reviewer', async () => {
      const seeded = await api.admin.get('/v1/gate-policies/1').expect(200);
      const approvals = (seeded.body.document.gates as { rules: GateRule[] }[]).map((g) =>
        g.rules.find((r) => r.kind === 'approvals'),
      );
      expect(approvals.every((r) => r?.kind === 'approvals' && r.reviewerRoleGrantedByOther)).toBe(true);

      // Grants from before the self-change ban (or before grants were recorded): set straight in the database.
      const selfie = await api.user('Sel', ['reviewer'], 'Assurance');
      await setGrants(selfie.id, { reviewer: selfie.id });
      const legacy = await api.user('Leg', ['reviewer'], 'Assurance');
      await setGrants(legacy.id, null);
      const evaluationId = await evaluate();

      const self = await reject(selfie.token, evaluationId).expect(403);
      expect(self.body).toMatchObject({
        code: 'separation_of_duties',
        rule: 'approver_reviewer_role_self_granted',
      });
      const unknown = await reject(legacy.token, evaluationId).expect(403);
      expect(unknown.body.rule).toBe('approver_reviewer_role_grant_unknown');
      // The evaluation page offers neither of them a decision form; it says why, as the API does.
      for (const [reviewer, why] of [
        [selfie, 'You granted yourself the reviewer role'],
        [legacy, 'who granted yours is not on record'],
      ] as const) {
        const page = await (await signIn(api, reviewer.token)).get(`/gate-evaluations/${evaluationId}`);
        expect(page.status).toBe(200);
        expect(page.text).not.toContain('name="decision"');
        expect(page.text).toContain(why);
      }
      const refused = (await auditOf('gate.refused')).map((e) => e.after?.rule);
      expect(refused).toEqual(
        expect.arrayContaining([
          'approver_reviewer_role_self_granted',
          'approver_reviewer_role_grant_unknown',
        ]),
      );

      // An admin whose reviewer role another admin granted is a reviewer like any other.
      await api
        .as(ben.token)
        .patch(`/v1/users/${adminId}`, { roles: ['admin', 'reviewer'] })
        .expect(200);
      await reject(ADMIN_TOKEN, evaluationId).expect(201);
      await api
        .as(ben.token)
        .patch(`/v1/users/${adminId}`, { roles: ['admin'] })
        .expect(200);

      // A policy without the option lets the same self-granted reviewer decide.
      const without = {
        description: 'no grant check',
        gates: DEFAULT_GATE_POLICY.gates.map((gate) => ({
          ...gate,
          rules: gate.rules.map((rule) =>
            rule.kind === 'approvals' ? { kind: rule.kind, count: rule.count, role: rule.role } : rule,
          ),
        })),
      };
      await api.admin.post('/v1/gate-policies', without).expect(201);
      const next = await evaluate();
      expect(next).not.toBe(evaluationId);
      await reject(selfie.token, next).expect(201);
    });

    it('validates the option in a published policy', async () => {
      const bad = {
        gates: DEFAULT_GATE_POLICY.gates.map((gate) => ({
          ...gate,
          rules: gate.rules.map((rule) =>
            rule.kind === 'approvals' ? { ...rule, reviewerRoleGrantedByOther: 'yes' } : rule,
          ),
        })),
      };
      const refused = await api.admin.post('/v1/gate-policies', bad).expect(400);
      expect(refused.body.errors[0].field).toMatch(/^gates\[0\]\.rules\[\d+\]\.reviewerRoleGrantedByOther$/);
    });
  });
});
