import { type GateRule, type RuleVerdict, type Stage } from '@gatehouse/domain';
import {
  AiUseCaseEntity,
  EvaluationRunEntity,
  GateEvaluationEntity,
  GatePolicyEntity,
  managerOf,
  StageChangeEntity,
  TeamEntity,
  WorkRepository,
} from '@gatehouse/persistence';
import {
  aiUseCaseRow,
  describeIntegration,
  insertEmptySuite,
  runRow,
  useTestDataSource,
} from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { EvidenceExpiry } from './evidence-expiry';

const DAY = 86_400_000;
/** The moment every test reads from: times are written relative to it, so nothing depends on the clock. */
const NOW = new Date('2026-06-15T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

/**
 * EvidenceExpiry on a real database: which evaluation approved a use case's stage, which of its runs goes
 * stale first, and which use cases are left out (drafts, retired ones, evidence fresh beyond the window).
 */
describeIntegration('EvidenceExpiry (approving evidence that goes stale)', () => {
  const db = useTestDataSource();
  let expiry: EvidenceExpiry;
  let teamId: string;
  let suiteId: string;
  let policyId: string;

  beforeAll(async () => {
    expiry = new EvidenceExpiry(new WorkRepository(db.uow));
    teamId = randomUUID();
    policyId = randomUUID();
    suiteId = await insertEmptySuite(db.uow, 'expiry-suite');
    await db.uow.write(async (tx) => {
      const m = managerOf(tx);
      await m.insert(TeamEntity, { id: teamId, name: 'Benefits', description: null, createdAt: NOW });
      await m.insert(GatePolicyEntity, {
        id: policyId,
        version: 1,
        document: { gates: [] },
        sha256: '0'.repeat(64),
        createdBy: 'test',
        createdAt: daysAgo(400),
      });
    });
  }, 60_000);

  /** A completed run of the suite for the use case, completed `age` days before NOW. */
  async function completedRun(
    useCaseId: string,
    age: number,
    overrides: Partial<EvaluationRunEntity> = {},
  ): Promise<string> {
    const run = runRow(suiteId, {
      aiUseCaseId: useCaseId,
      status: 'completed',
      outcome: 'passed',
      ...overrides,
      createdAt: daysAgo(age + 1),
      completedAt: daysAgo(age),
      updatedAt: daysAgo(age),
    });
    await db.uow.write((tx) => managerOf(tx).insert(EvaluationRunEntity, run));
    return run.id;
  }

  const suitePassed = (suite: string, maxAgeDays: number, runId: string): RuleVerdict => ({
    index: 0,
    rule: { kind: 'suite_passed', suite, maxAgeDays } satisfies GateRule,
    title: `${suite} passed within ${maxAgeDays} days`,
    verdict: 'pass',
    reason: 'passed',
    actual: null,
    runId,
  });

  /** An evaluation of the use case to `to` with these rule verdicts, and the stage change through it `age` days ago. */
  async function promoted(
    useCaseId: string,
    from: Stage,
    to: 'test' | 'learn' | 'scale',
    rules: RuleVerdict[],
    age: number,
    seq: number,
  ): Promise<string> {
    const evaluationId = randomUUID();
    await db.uow.write(async (tx) => {
      const m = managerOf(tx);
      await m.insert(GateEvaluationEntity, {
        id: evaluationId,
        aiUseCaseId: useCaseId,
        seq,
        fromStage: from,
        toStage: to,
        policyId,
        policyVersion: 1,
        useCaseRevision: 1,
        riskTier: 'low',
        verdict: 'pass',
        result: {
          from,
          to,
          verdict: 'pass',
          rules,
          runsUsed: [],
          approvals: { count: 1, role: 'reviewer' },
          hash: '0'.repeat(64),
        },
        inputs: {
          runIds: [],
          baselines: {},
          pilotObservationIds: [],
          targetHash: null,
          transparencyPublished: false,
        },
        approvalsRequired: 1,
        hash: '0'.repeat(64),
        evaluatedAt: daysAgo(age),
        createdBy: 'sam',
        createdAt: daysAgo(age),
      });
      await m.insert(StageChangeEntity, {
        id: randomUUID(),
        aiUseCaseId: useCaseId,
        kind: from === to ? 'reapproval' : 'promotion',
        evaluationId,
        fromStage: from,
        toStage: to,
        reason: null,
        changedBy: 'sam',
        createdAt: daysAgo(age),
      });
    });
    return evaluationId;
  }

  async function useCaseAt(stage: Stage, targetHash: string | null = null): Promise<string> {
    const row = aiUseCaseRow(teamId, { stage, targetHash });
    await db.uow.write((tx) => managerOf(tx).insert(AiUseCaseEntity, row));
    return row.id;
  }

  const expiring = (days: number) => db.uow.read((tx) => expiry.expiringWithin(tx, days, NOW));

  it('names the run that goes stale first, from the evaluation that put the use case at its stage', async () => {
    const id = await useCaseAt('learn');
    // The promotion to test used a run that is long stale; it no longer decides anything.
    const oldRun = await completedRun(id, 200);
    await promoted(id, 'proposed', 'test', [suitePassed('s', 30, oldRun)], 190, 1);
    // The promotion to learn: suite a (30 days) ran 20 days ago, suite b (90 days) ran 10 days ago.
    const runA = await completedRun(id, 20);
    const runB = await completedRun(id, 10);
    const evaluationId = await promoted(
      id,
      'test',
      'learn',
      [suitePassed('a', 30, runA), suitePassed('b', 90, runB)],
      9,
      2,
    );

    const within14 = (await expiring(14)).filter((e) => e.aiUseCaseId === id);
    expect(within14).toEqual([
      {
        aiUseCaseId: id,
        name: `use case ${id}`,
        ownerTeamId: teamId,
        stage: 'learn',
        evaluationId,
        expiresAt: new Date(daysAgo(20).getTime() + 30 * DAY),
        runId: runA,
        suite: 'a',
        maxAgeDays: 30,
      },
    ]);
    // Ten days left: not within a window of nine.
    expect((await expiring(9)).some((e) => e.aiUseCaseId === id)).toBe(false);
    expect((await expiring(10)).some((e) => e.aiUseCaseId === id)).toBe(true);
  });

  it('lists evidence that is already stale, with its expiry in the past', async () => {
    const id = await useCaseAt('test');
    const run = await completedRun(id, 40);
    await promoted(id, 'proposed', 'test', [suitePassed('s', 30, run)], 39, 1);

    const found = (await expiring(0)).find((e) => e.aiUseCaseId === id);
    expect(found?.expiresAt.toISOString()).toBe(daysAgo(10).toISOString());
  });

  it('reads the latest re-approval at the stage, not the promotion before it', async () => {
    const id = await useCaseAt('scale');
    const staleRun = await completedRun(id, 100);
    await promoted(id, 'learn', 'scale', [suitePassed('s', 30, staleRun)], 95, 1);
    const freshRun = await completedRun(id, 2);
    const reapproval = await promoted(id, 'scale', 'scale', [suitePassed('s', 30, freshRun)], 1, 2);

    expect((await expiring(14)).some((e) => e.aiUseCaseId === id)).toBe(false);
    const within30 = (await expiring(30)).find((e) => e.aiUseCaseId === id);
    expect(within30).toMatchObject({ evaluationId: reapproval, runId: freshRun });
  });

  it('renews the evidence with a newer passing run of the suite against the registered target', async () => {
    const target = 'a'.repeat(64);
    const id = await useCaseAt('learn', target);
    const used = await completedRun(id, 28, { targetHash: target });
    // expiry-suite@1 is the suite every run here belongs to; the rule reads it by name.
    await promoted(id, 'test', 'learn', [suitePassed('expiry-suite', 30, used)], 27, 1);
    expect((await expiring(7)).find((e) => e.aiUseCaseId === id)).toMatchObject({ runId: used });

    // Newer runs that do not count: one whose thresholds failed, one against another target.
    await completedRun(id, 3, { targetHash: target, outcome: 'failed' });
    await completedRun(id, 2, { targetHash: 'b'.repeat(64) });
    expect((await expiring(7)).find((e) => e.aiUseCaseId === id)).toMatchObject({ runId: used });

    // A newer passing run against the target: thirty days from five days ago.
    const rerun = await completedRun(id, 5, { targetHash: target });
    expect((await expiring(7)).some((e) => e.aiUseCaseId === id)).toBe(false);
    expect((await expiring(25)).find((e) => e.aiUseCaseId === id)).toMatchObject({
      runId: rerun,
      expiresAt: new Date(daysAgo(5).getTime() + 30 * DAY),
    });
  });

  it('leaves out retired and proposed use cases, and evaluations with no suite rule', async () => {
    const retired = await useCaseAt('retired');
    const run = await completedRun(retired, 60);
    await promoted(retired, 'proposed', 'test', [suitePassed('s', 30, run)], 59, 1);
    const proposed = await useCaseAt('proposed');
    const noSuiteRule = await useCaseAt('test');
    await promoted(noSuiteRule, 'proposed', 'test', [], 59, 1);

    const ids = (await expiring(365)).map((e) => e.aiUseCaseId);
    expect(ids).not.toContain(retired);
    expect(ids).not.toContain(proposed);
    expect(ids).not.toContain(noSuiteRule);
  });

  it('sorts soonest first and refuses a negative window', async () => {
    for (const age of [5, 25]) {
      const id = await useCaseAt('test');
      await promoted(id, 'proposed', 'test', [suitePassed('s', 30, await completedRun(id, age))], age, 1);
    }
    const all = await expiring(365);
    const times = all.map((e) => e.expiresAt.getTime());
    expect(times.length).toBeGreaterThan(1);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    await expect(expiring(-1)).rejects.toThrow(RangeError);
  });
});
