import { type Actor, DomainError, type GateTarget } from '@gatehouse/domain';
import {
  AiUseCaseEntity,
  AiUseCaseRevisionEntity,
  AuditEventEntity,
  AuditLogRepository,
  GateEvaluationEntity,
  GateEvidenceRepository,
  GatePolicyRepository,
  GateRepository,
  LiveMeasuresRepository,
  PilotObservationRepository,
  readWith,
  ReviewRepository,
  RunRepository,
  StageChangeRepository,
  TeamEntity,
  type UnitOfWork,
  writeWith,
  managerOf,
} from '@gatehouse/persistence';
import { aiUseCaseRow, describeIntegration, useTestDataSource } from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { notificationsServiceOn } from '../notifications/notifications.standalone';
import { type RequestContext } from '../request-context';
import { ReviewEvidenceService } from '../reviews/review-evidence.service';
import { RunComparisonService } from '../runs/run-comparison.service';
import { GateEvaluationsService } from './gate-evaluations.service';
import { GateEvidenceService } from './gate-evidence.service';
import { GatePoliciesService } from './gate-policies.service';
import { GateReads } from './gate-reads';
import { RefusalAudit } from './refusals-audited';

/**
 * GateEvaluationsService on a real database with the real repositories: what it writes, what it leaves
 * alone, and the lock-and-recheck protocol under concurrent requests. The API-level journeys are in
 * apps/api/test/gates.int-spec.ts.
 */
describeIntegration('GateEvaluationsService (evaluate, standing evaluation, verify)', () => {
  const db = useTestDataSource();
  let uow: UnitOfWork;
  let evaluations: GateEvaluationsService;
  let reviewEvidence: ReviewEvidenceService;
  let teamId: string;

  beforeAll(async () => {
    uow = db.uow;
    const gates = new GateRepository(uow);
    const policies = new GatePolicyRepository(uow);
    const pilots = new PilotObservationRepository(uow);
    const audit = new AuditService(new AuditLogRepository(uow));
    const refusals = new RefusalAudit(uow, audit);
    reviewEvidence = new ReviewEvidenceService(new ReviewRepository(uow));
    const evidence = new GateEvidenceService(
      gates,
      policies,
      pilots,
      new GateEvidenceRepository(uow),
      new RunComparisonService(uow, new RunRepository(uow)),
      reviewEvidence,
      new LiveMeasuresRepository(uow),
    );
    evaluations = new GateEvaluationsService(
      uow,
      gates,
      policies,
      pilots,
      evidence,
      new GatePoliciesService(uow, policies, audit, refusals),
      new GateReads(gates, policies, new StageChangeRepository(uow)),
      audit,
      refusals,
      notificationsServiceOn(uow),
      reviewEvidence,
    );
    teamId = randomUUID();
    await writeWith(uow, (m) =>
      m.insert(TeamEntity, { id: teamId, name: 'Benefits', description: null, createdAt: new Date() }),
    );
  }, 60_000);

  const member = (roles: Actor['roles'] = ['service_team']): RequestContext => ({
    actor: { id: `u-${randomUUID()}`, name: 'Sam', teamId, roles },
    requestId: null,
  });

  /** A proposed use case of the team, at revision 1, stored directly. */
  async function proposedUseCase(): Promise<string> {
    const useCase = aiUseCaseRow(teamId);
    await writeWith(uow, async (m) => {
      await m.insert(AiUseCaseEntity, useCase);
      await m.insert(AiUseCaseRevisionEntity, revisionRow(useCase.id, 1, useCase.record, useCase.riskTier));
    });
    return useCase.id;
  }

  /** Edits the record as the registry would: the next revision. */
  async function editRecord(useCaseId: string, write = uow.write.bind(uow)): Promise<void> {
    await write(async (tx) => {
      const m = managerOf(tx);
      const useCase = await m.findOneByOrFail(AiUseCaseEntity, { id: useCaseId });
      const record = { ...useCase.record, summary: `${useCase.record.summary} (edited)` };
      await m.update(AiUseCaseEntity, { id: useCaseId }, { record, revision: useCase.revision + 1 });
      await m.insert(
        AiUseCaseRevisionEntity,
        revisionRow(useCaseId, useCase.revision + 1, record, useCase.riskTier),
      );
    });
  }

  const stored = (useCaseId: string) =>
    readWith(uow, (m) =>
      m.find(GateEvaluationEntity, { where: { aiUseCaseId: useCaseId }, order: { seq: 'ASC' } }),
    );

  const audited = (action: string, subjectId: string) =>
    readWith(uow, (m) => m.find(AuditEventEntity, { where: { action, subjectId } }));

  it('records a new evaluation, then answers with it, writing nothing, while nothing it reads changes', async () => {
    const useCaseId = await proposedUseCase();
    const context = member();
    // The gate has no review rule: no review statistics are computed (they cost a bootstrap per sample).
    const reviewReads = jest.spyOn(reviewEvidence, 'ofRuns');

    const first = await evaluations.evaluate(context, useCaseId, 'test');
    expect(first.created).toBe(true);
    expect(first.evaluation).toMatchObject({ from: 'proposed', to: 'test', useCaseRevision: 1 });
    expect(first.evaluation.standing.current).toBe(true);

    const again = await evaluations.evaluate(member(), useCaseId, 'test');
    expect(again.created).toBe(false);
    expect(again.evaluation.id).toBe(first.evaluation.id);
    expect(again.evaluation.hash).toBe(first.evaluation.hash);

    const rows = await stored(useCaseId);
    expect(rows.map((row) => row.seq)).toEqual([1]);
    expect(rows[0]).toMatchObject({ createdBy: context.actor.id, hash: first.evaluation.hash });
    expect(await audited('gate.evaluated', useCaseId)).toHaveLength(1);

    const read = await evaluations.get(context.actor, first.evaluation.id);
    expect(read).toEqual(first.evaluation);
    expect(first.evaluation.reviewsUsed).toEqual([]);
    expect(rows[0].inputs.reviews).toBeUndefined();
    await evaluations.verify(context.actor, first.evaluation.id);
    expect(reviewReads).not.toHaveBeenCalled();
    reviewReads.mockRestore();
  });

  it('records one evaluation, not one per request, when requests on the same evidence race', async () => {
    const useCaseId = await proposedUseCase();
    await evaluations.evaluate(member(), useCaseId, 'test');
    await editRecord(useCaseId);

    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => evaluations.evaluate(member(), useCaseId, 'test')),
    );

    expect(new Set(outcomes.map((o) => o.evaluation.id)).size).toBe(1);
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    const rows = await stored(useCaseId);
    expect(rows.map((row) => [row.seq, row.useCaseRevision])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const list = await evaluations.list(member().actor, useCaseId);
    expect(list.map((view) => [view.useCaseRevision, view.standing.current])).toEqual([
      [2, true],
      [1, false],
    ]);
  });

  it('judges again when what it read changes before the write, and gives up after three tries', async () => {
    const useCaseId = await proposedUseCase();
    /** Edits the record just before each of the service's next `times` writes (after it has judged). */
    const editBeforeWrites = (times: number) => {
      const write = uow.write.bind(uow);
      let left = times;
      return jest.spyOn(uow, 'write').mockImplementation(async (work) => {
        if (left > 0) {
          left--;
          await editRecord(useCaseId, write);
        }
        return write(work);
      });
    };

    const once = editBeforeWrites(1);
    const outcome = await evaluations.evaluate(member(), useCaseId, 'test').finally(() => once.mockRestore());
    expect(outcome.created).toBe(true);
    expect(outcome.evaluation.useCaseRevision).toBe(2);
    expect((await stored(useCaseId)).map((row) => [row.seq, row.useCaseRevision])).toEqual([[1, 2]]);

    await editRecord(useCaseId); // so the evaluation at revision 2 no longer stands
    const always = editBeforeWrites(3);
    const raced = evaluations.evaluate(member(), useCaseId, 'test').finally(() => always.mockRestore());
    await expect(raced).rejects.toMatchObject({ code: 'conflict', rule: 'evaluation_raced' });
    expect(await stored(useCaseId)).toHaveLength(1);
    expect((await audited('gate.refused', useCaseId)).map((event) => event.after)).toEqual([
      expect.objectContaining({ attempted: 'gate.evaluate', rule: 'evaluation_raced' }),
    ]);
  });

  it('audits refused evaluations (and writes none), but not an unknown use case', async () => {
    const useCaseId = await proposedUseCase();

    const refusal = (to: GateTarget, context = member()) =>
      evaluations.evaluate(context, useCaseId, to).then(
        () => null,
        (error: unknown) => error as DomainError,
      );
    // A page's free `to` field that names no gate target.
    await expect(evaluations.refuseUnknownTarget(member(), useCaseId)).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(await refusal('scale')).toBeInstanceOf(DomainError);
    expect(await refusal('test', member(['reviewer']))).toMatchObject({
      code: 'forbidden',
      rule: 'gate_proposed_by_owning_team',
    });
    await expect(evaluations.evaluate(member(), randomUUID(), 'test')).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(evaluations.refuseUnknownTarget(member(), randomUUID())).rejects.toMatchObject({
      code: 'not_found',
    });

    expect(await stored(useCaseId)).toEqual([]);
    const refused = await audited('gate.refused', useCaseId);
    expect(refused.map((event) => event.after)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ attempted: 'gate.evaluate', code: 'validation_failed' }),
        expect.objectContaining({ attempted: 'gate.evaluate', code: 'invalid_state' }),
        expect.objectContaining({ attempted: 'gate.evaluate', rule: 'gate_proposed_by_owning_team' }),
      ]),
    );
    expect(refused).toHaveLength(3);
  });

  it('re-derives a stored evaluation from the stored rows alone, after the use case has moved on', async () => {
    const useCaseId = await proposedUseCase();
    const context = member();
    const { evaluation } = await evaluations.evaluate(context, useCaseId, 'test');
    await editRecord(useCaseId);

    const verification = await evaluations.verify(context.actor, evaluation.id);

    expect(verification).toEqual({
      id: evaluation.id,
      hash: evaluation.hash,
      rederivedHash: evaluation.hash,
      matches: true,
      differences: [],
    });
  });
});

function revisionRow(
  aiUseCaseId: string,
  revision: number,
  record: AiUseCaseEntity['record'],
  tier: AiUseCaseEntity['riskTier'],
): AiUseCaseRevisionEntity {
  return Object.assign(new AiUseCaseRevisionEntity(), {
    id: randomUUID(),
    aiUseCaseId,
    revision,
    record,
    stage: 'proposed',
    derivedRiskTier: tier,
    riskTier: tier,
    changedPaths: revision === 1 ? [] : ['summary'],
    changeReason: null,
    changedBy: 'test',
    createdAt: new Date(),
  });
}
