import { exampleLowRiskRecord } from '@gatehouse/domain';
import { describeIntegration, type OpenAiStub, REDIS_TEST_URL, startOpenAiStub } from '@gatehouse/testing';
import { ADMIN_TOKEN, buildDist, Platform, uniquePrefix } from './support/platform';
import { sleep } from './support/wait';

/** 200 questions in two age bands; the stub answers "yes" to the first `yesUpTo` of them, "no" to the rest. */
const ITEMS = Array.from({ length: 200 }, (_, i) => ({
  id: `q-${String(i + 1).padStart(3, '0')}`,
  input: `question ${i + 1}`,
  expected: 'yes',
  metadata: { age_band: i % 2 === 0 ? 'under-65' : '65+' },
}));

const suiteYaml = (connection: string) =>
  [
    'name: triage-answers',
    'version: 1',
    'dataset: triage-questions@1',
    `target: { type: openai, model: triage-model-1, connection: ${connection} }`,
    'scorers:',
    '  - { type: equals, name: correct }',
    'groupBy: [age_band]',
    'minGroupSize: 20',
    'concurrency: 20',
    'thresholds:',
    "  - { metric: correct, stat: ci_lower, op: '>=', value: 0.6 }",
    '',
  ].join('\n');

/** The policy the journey runs under: one set of gates for every tier (the use case derives low). */
function journeyPolicy() {
  const suite = 'triage-answers';
  const approvals = { kind: 'approvals', count: 1, role: 'reviewer' };
  const fresh = { kind: 'suite_passed', suite, maxAgeDays: 30 };
  const perTier = (tier: string) => [
    {
      tier,
      to: 'test',
      rules: [
        fresh,
        { kind: 'metric', suite, metric: 'correct', stat: 'ci_lower', op: '>=', threshold: 0.6, minN: 100 },
        {
          kind: 'metric',
          suite,
          metric: 'correct',
          stat: 'max_group_gap_upper95',
          op: '<=',
          threshold: 0.3,
          minGroupSize: 20,
        },
        { kind: 'unscored_max', suite, max: 0.05 },
        { kind: 'evidence', requirement: 'risks_recorded' },
        approvals,
      ],
    },
    {
      tier,
      to: 'learn',
      rules: [
        fresh,
        { kind: 'no_regression', suite, metric: 'correct', alpha: 0.05 },
        { kind: 'evidence', requirement: 'human_oversight_described' },
        { kind: 'evidence', requirement: 'kill_switch_described' },
        approvals,
      ],
    },
    {
      tier,
      to: 'scale',
      rules: [
        fresh,
        { kind: 'no_regression', suite, metric: 'correct', alpha: 0.05 },
        {
          kind: 'pilot_metric',
          measure: 'override_rate',
          stat: 'upper95',
          op: '<=',
          threshold: 0.1,
          minCases: 100,
        },
        { kind: 'evidence', requirement: 'transparency_record_published' },
        approvals,
      ],
    },
  ];
  return { description: 'journey policy', gates: ['low', 'medium', 'high'].flatMap(perTier) };
}

interface Rule {
  title: string;
  verdict: string;
  reason: string;
  rule: { kind: string; requirement?: string };
}
interface Evaluation {
  id: string;
  verdict: string;
  hash: string;
  kind: string;
  rules: Rule[];
}

describeIntegration(
  'the whole journey on PostgreSQL and Redis: register → test → learn → scale → change re-opens the gate',
  () => {
    let stub: OpenAiStub;
    let platform: Platform | null = null;
    let yesUpTo = 190;

    beforeAll(() => buildDist(), 120_000);
    afterAll(async () => {
      await platform?.close();
      await stub?.close();
    }, 60_000);

    it('promotes a use case through every gate only on bound, independently approved evidence', async () => {
      stub = await startOpenAiStub({
        respond: (body) => {
          const n = Number(/question (\d+)/.exec(body.messages.at(-1)?.content ?? '')?.[1]);
          return n <= yesUpTo ? 'yes' : 'no';
        },
      });
      platform = await Platform.start({
        redisUrl: REDIS_TEST_URL,
        prefix: uniquePrefix('journey'),
        parentEnv: process.env,
        env: { GATEHOUSE_ITEM_CONCURRENCY: '20' },
      });
      const p = platform;
      await p.startWorker();

      const call = async <T = Record<string, unknown>>(
        method: string,
        path: string,
        token: string,
        expected: number,
        body?: unknown,
        contentType?: string,
      ): Promise<T> => {
        const reply = await p.request<T>(method, path, { token, body, contentType });
        if (reply.status !== expected) {
          throw new Error(
            `${method} ${path}: expected ${expected}, got ${reply.status}: ${JSON.stringify(reply.body)}`,
          );
        }
        return reply.body;
      };
      const team = async (name: string) =>
        (await call<{ id: string }>('POST', '/v1/teams', ADMIN_TOKEN, 201, { name })).id;
      const user = async (name: string, roles: string[], teamId: string) => {
        const created = await call<{ enrolment: { token: string } }>('POST', '/v1/users', ADMIN_TOKEN, 201, {
          name,
          roles,
          teamId,
        });
        // The user exchanges their one-time enrolment token for an API token only they see.
        return (
          await call<{ token: { token: string } }>('POST', '/v1/enrolments', '', 201, {
            token: created.enrolment.token,
          })
        ).token.token;
      };
      const benefits = await team('Benefits');
      const assurance = await team('Assurance');
      const sam = await user('Sam', ['service_team'], benefits);
      const eve = await user('Eve', ['engineer'], benefits);
      const rita = await user('Rita', ['reviewer'], assurance);
      const rob = await user('Rob', ['reviewer'], assurance);

      // 1. The team registers its use case; the tier is derived; it starts at proposed.
      const useCase = await call<{ id: string; stage: string; riskTier: string }>(
        'POST',
        '/v1/ai-use-cases',
        sam,
        201,
        {
          record: exampleLowRiskRecord(),
        },
      );
      expect(useCase).toMatchObject({ stage: 'proposed', riskTier: 'low' });
      const id = useCase.id;

      // 2. The engineer freezes a dataset and publishes a suite on it; the admin publishes the policy.
      const dataset = await call<{ sha256: string; version: number }>(
        'POST',
        '/v1/datasets?name=triage-questions',
        eve,
        201,
        ITEMS.map((item) => JSON.stringify(item)).join('\n'),
        'application/x-ndjson',
      );
      expect(dataset.version).toBe(1);
      // The admin's connection to the model server: the only way a platform run reaches it.
      const connection = await p.connection(stub.url);
      await call('POST', '/v1/suites', eve, 201, suiteYaml(connection), 'application/yaml');
      const policy = await call<{ version: number }>(
        'POST',
        '/v1/gate-policies',
        ADMIN_TOKEN,
        201,
        journeyPolicy(),
      );
      expect(policy.version).toBe(2);
      await call('PUT', `/v1/ai-use-cases/${id}/target`, eve, 200, {
        target: { type: 'openai', model: 'triage-model-1', connection },
      });

      const run = async () => {
        const started = await call<{ id: string }>('POST', '/v1/runs', eve, 202, {
          suite: 'triage-answers@1',
          aiUseCaseId: id,
          datasetSha256: dataset.sha256,
        });
        const done = await p.waitForStatus(started.id, ['completed', 'failed'], 90_000);
        expect(done.status).toBe('completed');
        return started.id;
      };
      const evaluate = (to: string) =>
        call<Evaluation>('POST', `/v1/ai-use-cases/${id}/gate-evaluations`, sam, 201, { to });
      const notPassing = (evaluation: Evaluation) =>
        evaluation.rules.filter((r) => r.verdict !== 'pass').map((r) => `${r.verdict}: ${r.reason}`);
      const approveAndPromote = async (evaluation: Evaluation, reviewer: string) => {
        await call('POST', `/v1/gate-evaluations/${evaluation.id}/approvals`, reviewer, 201, {
          decision: 'approve',
          reason: 'Read the runs, the per-group figures and the record.',
          evaluationHash: evaluation.hash,
        });
        return call<{ aiUseCase: { stage: string; underChangeSince: string | null } }>(
          'POST',
          `/v1/ai-use-cases/${id}/promotions`,
          sam,
          201,
          { evaluationId: evaluation.id },
        );
      };

      // 3. The first run through the workers; the gate to test fails for want of recorded risks.
      const firstRun = await run();
      const first = await evaluate('test');
      expect(first.verdict).toBe('fail');
      expect(notPassing(first)).toEqual(['missing: no risks recorded']);

      // 4. More evidence: the team records its risks; the same run now passes every rule.
      await call('PATCH', `/v1/ai-use-cases/${id}`, sam, 200, {
        changes: {
          risks: [
            {
              description: 'Wrong routing delays a claim',
              likelihood: 'low',
              impact: 'medium',
              mitigation: 'Staff confirm each route',
            },
          ],
        },
      });
      const toTest = await evaluate('test');
      expect(notPassing(toTest)).toEqual([]);
      expect(toTest.verdict).toBe('pass');

      // 5. The proposer cannot approve; an independent reviewer does; the team promotes.
      const selfApproval = await p.request<{ rule: string }>(
        'POST',
        `/v1/gate-evaluations/${toTest.id}/approvals`,
        {
          token: sam,
          body: { decision: 'approve', reason: 'my own work' },
        },
      );
      expect(selfApproval).toMatchObject({ status: 403, body: { rule: 'approver_needs_reviewer_role' } });
      expect((await approveAndPromote(toTest, rita)).aiUseCase.stage).toBe('test');

      // 6. To learn: the record must describe the kill switch; then the no-regression rule compares with
      //    the approved run.
      const learnFirst = await evaluate('learn');
      expect(notPassing(learnFirst)).toEqual([
        'missing: describe how the tool is switched off (operations.killSwitch)',
      ]);
      await call('PATCH', `/v1/ai-use-cases/${id}`, sam, 200, {
        changes: {
          operations: { killSwitch: 'A feature flag routes every enquiry to staff within a minute.' },
        },
      });
      const secondRun = await run();
      const toLearn = await evaluate('learn');
      expect(toLearn.verdict).toBe('pass');
      expect(toLearn.rules.find((r) => r.rule.kind === 'no_regression')?.reason).toContain(
        'against the approved run',
      );
      expect(secondRun).not.toBe(firstRun);
      expect((await approveAndPromote(toLearn, rob)).aiUseCase.stage).toBe('learn');

      // 7. The pilot: observations recorded, the transparency record published, then the gate to scale.
      await call('POST', `/v1/ai-use-cases/${id}/pilot-observations`, sam, 201, {
        periodStart: '2026-09-01',
        periodEnd: '2026-10-31',
        cases: 600,
        overrides: 18,
        undone: 2,
        complaints: 1,
        incidents: 0,
      });
      const scaleFirst = await evaluate('scale');
      expect(notPassing(scaleFirst)).toEqual(['missing: publish the transparency record first']);
      await call('POST', `/v1/ai-use-cases/${id}/transparency-record`, sam, 201, {});
      const toScale = await evaluate('scale');
      expect(toScale.verdict).toBe('pass');
      expect((await approveAndPromote(toScale, rita)).aiUseCase.stage).toBe('scale');

      // 8. The public register shows the record at scale with the approved evaluation's numbers, no sign-in.
      const record = await p.request<{
        metadata: { stage: string; phase: string };
        tier2: { modelPerformance: unknown };
      }>('GET', `/public/transparency-records/${id}`);
      expect(record.status).toBe(200);
      expect(record.body.metadata).toMatchObject({ stage: 'scale', phase: 'production' });
      expect(JSON.stringify(record.body.tier2.modelPerformance)).toContain('triage-answers');

      // 9. A model change at scale re-opens the gate: the old runs no longer count; a worse model fails the
      //    paired comparison; the fixed one passes and is approved again.
      const changed = await call<{ underChangeSince: string | null }>(
        'PUT',
        `/v1/ai-use-cases/${id}/target`,
        eve,
        200,
        {
          target: { type: 'openai', model: 'triage-model-2', connection },
          reason: 'Moving to the next model version',
        },
      );
      expect(changed.underChangeSince).not.toBeNull();
      const reopened = await evaluate('scale');
      expect(reopened).toMatchObject({ kind: 'reapproval', verdict: 'fail' });
      expect(notPassing(reopened).join('\n')).toContain('none against the registered target');
      yesUpTo = 120;
      await run();
      const regressed = await evaluate('scale');
      expect(regressed.rules.find((r) => r.rule.kind === 'no_regression')).toMatchObject({ verdict: 'fail' });
      yesUpTo = 190;
      await run();
      const fixed = await evaluate('scale');
      expect(fixed.verdict).toBe('pass');
      const reapproved = await approveAndPromote(fixed, rob);
      expect(reapproved.aiUseCase).toMatchObject({ stage: 'scale', underChangeSince: null });

      // 10. Every evaluation re-derives from the stored rows; the audit chain verifies end to end.
      for (const evaluation of [first, toTest, toLearn, toScale, regressed, fixed]) {
        const check = await call<{ matches: boolean }>(
          'GET',
          `/v1/gate-evaluations/${evaluation.id}/verification`,
          rita,
          200,
        );
        expect(check.matches).toBe(true);
      }
      await sleep(100);
      const chain = await call<{ ok: boolean; checked: number }>('GET', '/v1/audit-events/verify', rita, 200);
      expect(chain.ok).toBe(true);
      const changes = await call<{ kind: string; to: string }[]>(
        'GET',
        `/v1/ai-use-cases/${id}/stage-changes`,
        sam,
        200,
      );
      expect(changes.map((c) => `${c.kind}:${c.to}`).reverse()).toEqual([
        'promotion:test',
        'promotion:learn',
        'promotion:scale',
        'reapproval:scale',
      ]);
    }, 300_000);
  },
  { needs: ['redis'] },
);
