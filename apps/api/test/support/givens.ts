import { jsonl, questionItems, type StubSuite, stubSuiteYaml } from '@gatehouse/testing';
import { lowRiskRecord, recordedRisks } from './records';
import { type TestApi, type TestUser } from './test-api';

/**
 * Givens for tests that need an AI use case somewhere along its way (proposed → test → learn → scale), built
 * through the API as its team and reviewers would, so a test starts from a state the product can reach. They
 * sit beside `TestApi` (an app's test support), not in libs/testing, because they drive the API app.
 *
 * The policy in force decides what evidence a gate needs; these givens record all the kinds a policy can ask
 * for (a registered target and a run of the suite, recorded risks, a month of pilot data, a published
 * transparency record) and ask the reviewers in turn until the evaluation is approved. A gate that still fails
 * throws with the rules' reasons, so a broken given says why.
 */

export type Stage = 'proposed' | 'test' | 'learn' | 'scale';
const GATES: readonly Exclude<Stage, 'proposed'>[] = ['test', 'learn', 'scale'];

/** Who does what: the owning team's service team member and engineer, and independent reviewers. */
export interface UseCaseCast {
  /** Registers the use case, records its risks and pilot data, asks for evaluations, promotes. */
  owner: TestUser;
  /** In the owning team: registers the target and starts the runs. */
  engineer: TestUser;
  /** Outside the owning team, asked in order until an evaluation is approved. */
  reviewers: TestUser[];
}

export interface UseCaseGiven {
  cast: UseCaseCast;
  /** `name@version` of the suite whose runs are the evidence (published by the test). */
  suite: string;
  /** The target the team registers, for example `{ type: 'openai', model: 'stub-model', connection: 'stub' }`. */
  target: Record<string, unknown>;
  /** The record registered: `lowRiskRecord()` unless given. */
  record?: object;
}

/** An evaluation as the API returns it, with what the givens read of it. */
export interface EvaluationView {
  id: string;
  hash: string;
  verdict: string;
  rules: { title: string; verdict: string; reason: string; runId: string | null; rule: { kind: string } }[];
  approvals: { state: string };
  promotable: boolean;
  [field: string]: unknown;
}

/**
 * A use case registered by the owner and moved through each gate up to `stage`: evidence, a passing
 * evaluation, approvals, promotion. Returns its id.
 */
export async function givenUseCaseAt(api: TestApi, stage: Stage, given: UseCaseGiven): Promise<string> {
  const { owner } = given.cast;
  const created = await api
    .as(owner.token)
    .post('/v1/ai-use-cases', { record: given.record ?? lowRiskRecord() })
    .expect(201);
  const id = created.body.id as string;
  for (const to of GATES.slice(0, GATES.indexOf(stage as Exclude<Stage, 'proposed'>) + 1)) {
    await givenEvidenceFor(api, id, to, given);
    const evaluation = await givenPassingEvaluation(api, id, to, given);
    await givenApproved(api, evaluation, given);
    await givenPromoted(api, id, evaluation, given);
  }
  return id;
}

/**
 * What the gate to `to` looks at, recorded: on the way to `test` the target and the risks; on the way to
 * `scale` a month of pilot data and the published transparency record; a fresh completed run of the suite
 * every time.
 */
export async function givenEvidenceFor(
  api: TestApi,
  useCaseId: string,
  to: Exclude<Stage, 'proposed'>,
  given: UseCaseGiven,
): Promise<void> {
  const { owner, engineer } = given.cast;
  if (to === 'test') {
    await api
      .as(engineer.token)
      .put(`/v1/ai-use-cases/${useCaseId}/target`, { target: given.target })
      .expect(200);
    await api
      .as(owner.token)
      .patch(`/v1/ai-use-cases/${useCaseId}`, { changes: { risks: recordedRisks() } })
      .expect(200);
  }
  await givenCompletedRun(api, useCaseId, given);
  if (to === 'scale') {
    await api
      .as(owner.token)
      .post(`/v1/ai-use-cases/${useCaseId}/pilot-observations`, {
        periodStart: '2026-06-01',
        periodEnd: '2026-06-30',
        cases: 400,
        overrides: 12,
        undone: 1,
        complaints: 0,
        incidents: 0,
      })
      .expect(201);
    await api.as(owner.token).post(`/v1/ai-use-cases/${useCaseId}/transparency-record`, {}).expect(201);
  }
}

/** A run of the suite for the use case, started by the engineer and waited for; it must complete. */
export async function givenCompletedRun(
  api: TestApi,
  useCaseId: string,
  given: UseCaseGiven,
): Promise<{ id: string }> {
  const { engineer } = given.cast;
  const started = await api
    .as(engineer.token)
    .post('/v1/runs', { suite: given.suite, aiUseCaseId: useCaseId })
    .expect(202);
  const run = await api.waitForRun(started.body.id, engineer.token);
  if (run.status !== 'completed') {
    throw new Error(`given run ${run.id} ended ${run.status}, not completed`);
  }
  return run;
}

/** The owner's evaluation of the gate to `to`, which must pass (the reasons are thrown when it does not). */
export async function givenPassingEvaluation(
  api: TestApi,
  useCaseId: string,
  to: Exclude<Stage, 'proposed'>,
  given: UseCaseGiven,
): Promise<EvaluationView> {
  const response = await api
    .as(given.cast.owner.token)
    .post(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`, { to });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`given evaluation to ${to}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  const evaluation = response.body as EvaluationView;
  if (evaluation.verdict !== 'pass') {
    const reasons = evaluation.rules
      .filter((r) => r.verdict !== 'pass')
      .map((r) => `${r.rule.kind}: ${r.reason}`);
    throw new Error(`given evaluation to ${to} did not pass: ${reasons.join('; ')}`);
  }
  return evaluation;
}

/** The reviewers approve the evaluation, one after another, until it is approved. */
export async function givenApproved(
  api: TestApi,
  evaluation: EvaluationView,
  given: UseCaseGiven,
): Promise<void> {
  let state = evaluation.approvals.state;
  for (const reviewer of given.cast.reviewers) {
    if (state === 'approved') {
      return;
    }
    const approved = await api
      .as(reviewer.token)
      .post(`/v1/gate-evaluations/${evaluation.id}/approvals`, {
        decision: 'approve',
        reason: 'Evidence checked',
        evaluationHash: evaluation.hash,
      })
      .expect(201);
    state = approved.body.approvals.state;
  }
  if (state !== 'approved') {
    throw new Error(`given evaluation ${evaluation.id} is ${state} after every reviewer approved it`);
  }
}

/** The owner promotes the use case on the approved evaluation (a re-approval at the same stage too). */
export async function givenPromoted(
  api: TestApi,
  useCaseId: string,
  evaluation: EvaluationView,
  given: UseCaseGiven,
): Promise<void> {
  await api
    .as(given.cast.owner.token)
    .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: evaluation.id })
    .expect(201);
}

/**
 * A new target registered for a use case at `stage` and re-approved through the gate: a fresh run against
 * it, a passing re-approval evaluation, approvals, and the promotion that ends the change.
 */
export async function givenTargetChangeApproved(
  api: TestApi,
  useCaseId: string,
  stage: Exclude<Stage, 'proposed'>,
  target: Record<string, unknown>,
  given: UseCaseGiven,
): Promise<void> {
  await api
    .as(given.cast.engineer.token)
    .put(`/v1/ai-use-cases/${useCaseId}/target`, { target, reason: 'new model version' })
    .expect(200);
  await givenCompletedRun(api, useCaseId, given);
  const evaluation = await givenPassingEvaluation(api, useCaseId, stage, given);
  await givenApproved(api, evaluation, given);
  await givenPromoted(api, useCaseId, evaluation, given);
}

/**
 * A policy whose every gate (each tier, each stage) asks for a passing run of `suite` in the last 30 days
 * and the approvals rule given (one reviewer unless `approvals` says otherwise: `count`, `via`, …).
 */
export function suitePassedPolicy(
  suite: string | Record<'low' | 'medium' | 'high', string[]>,
  approvals: Record<string, unknown> = {},
  description = `every gate: ${typeof suite === 'string' ? suite : 'the suites of its tier'} passed, and approvals`,
) {
  // One suite for every gate, or the suites each risk tier's gates read.
  const suitesOf = (tier: 'low' | 'medium' | 'high') => (typeof suite === 'string' ? [suite] : suite[tier]);
  const gates = (['low', 'medium', 'high'] as const).flatMap((tier) =>
    (['test', 'learn', 'scale'] as const).map((to) => ({
      tier,
      to,
      rules: [
        ...suitesOf(tier).map((name) => ({ kind: 'suite_passed', suite: name, maxAgeDays: 30 })),
        { kind: 'approvals', count: 1, role: 'reviewer', ...approvals },
      ],
    })),
  );
  return { description, gates };
}

/**
 * The engineer publishes a dataset of `items` stub questions (`<suite>-questions@1`) and the suite
 * `<suite>@1` against the model stub (`stubSuiteYaml`, with `options`). Returns the suite reference.
 */
export async function givenStubSuite(
  api: TestApi,
  engineer: TestUser,
  suite: string,
  options: { items?: number; idPrefix?: string } & Omit<Partial<StubSuite>, 'name' | 'dataset'> = {},
): Promise<string> {
  const { items = 10, idPrefix, ...yaml } = options;
  await api
    .as(engineer.token)
    .upload(
      `/v1/datasets?name=${suite}-questions`,
      jsonl(questionItems(items, idPrefix ? { idPrefix } : {})),
      'application/x-ndjson',
    )
    .expect(201);
  await api
    .as(engineer.token)
    .upload(
      '/v1/suites',
      stubSuiteYaml({ ...yaml, name: suite, dataset: `${suite}-questions@1` }),
      'application/yaml',
    )
    .expect(201);
  return `${suite}@1`;
}
