import {
  LiveFeedbackEntity,
  LiveInteractionEntity,
  LiveScoreEntity,
  LiveSettingsEntity,
  managerOf,
  StageChangeEntity,
  UnitOfWork,
} from '@gatehouse/persistence';
import { DEFAULT_LIVE_SETTINGS, type LiveSettings } from '@gatehouse/domain';
import { type JobContext } from '@gatehouse/queue';
import { randomBytes, randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import {
  givenApproved,
  givenEvidenceFor,
  givenPassingEvaluation,
  givenPromoted,
  givenUseCaseAt,
  type Stage,
  type UseCaseGiven,
} from './givens';
import { type TestApi } from './test-api';

/**
 * Givens for the online-scoring and derived-measures specs: live interactions, feedback and settings stored
 * directly (as the ingest path stores them), and a use case's entry into learn moved into the past, so
 * closed UTC days of pilot traffic can exist in a test that runs today.
 */

export const traceId = (): string => randomBytes(16).toString('hex');
export const spanId = (): string => randomBytes(8).toString('hex');

const DAY_MS = 86_400_000;

/** Midnight (UTC) that starts today. */
export function todayUtc(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** Noon (UTC) `n` days before today. */
export function daysAgo(n: number, hour = 12): Date {
  return new Date(todayUtc().getTime() - n * DAY_MS + hour * 3_600_000);
}

/** One interaction as the ingest path stores it, with these fields changed. */
export function interaction(
  aiUseCaseId: string,
  fields: Partial<LiveInteractionEntity> = {},
): LiveInteractionEntity {
  const startedAt = fields.startedAt ?? new Date();
  return Object.assign(new LiveInteractionEntity(), {
    id: randomUUID(),
    aiUseCaseId,
    traceId: traceId(),
    spanId: spanId(),
    batchId: randomUUID(),
    source: 'json',
    startedAt,
    receivedAt: new Date(startedAt.getTime() + 1_000),
    durationMs: 400,
    operation: 'chat',
    model: 'stub-model',
    inputTokens: 20,
    outputTokens: 40,
    costUsd: 0.0002,
    configHash: null,
    errored: false,
    inputChars: 30,
    outputChars: 60,
    piiFound: { input: {}, output: {} },
    inputText: null,
    outputText: null,
    textExpiresAt: null,
    sampled: true,
    scoredAt: null,
    ...fields,
  });
}

/** One feedback event as the ingest path stores it. */
export function feedback(aiUseCaseId: string, fields: Partial<LiveFeedbackEntity> = {}): LiveFeedbackEntity {
  const occurredAt = fields.occurredAt ?? new Date();
  return Object.assign(new LiveFeedbackEntity(), {
    id: randomUUID(),
    aiUseCaseId,
    eventKey: randomUUID(),
    traceId: null,
    kind: 'override',
    occurredAt,
    receivedAt: new Date(occurredAt.getTime() + 1_000),
    note: null,
    ...fields,
  });
}

/** An online scorer's verdict on an interaction, scored an hour after the interaction started. */
export function scored(row: LiveInteractionEntity, scorer: string, passed: boolean | null): LiveScoreEntity {
  return Object.assign(new LiveScoreEntity(), {
    interactionId: row.id,
    scorer,
    aiUseCaseId: row.aiUseCaseId,
    scorerType: scorer,
    startedAt: row.startedAt,
    passed,
    value: passed === null ? null : passed ? 1 : 0,
    explanation: null,
    scoredAt: new Date(row.startedAt.getTime() + 3_600_000),
  });
}

/** Stores rows in chunks (both drivers' parameter limits), interactions first. */
export async function store(
  api: TestApi,
  rows: (LiveInteractionEntity | LiveFeedbackEntity | LiveScoreEntity)[],
): Promise<void> {
  const uow = api.app.get(UnitOfWork);
  const kinds = [LiveInteractionEntity, LiveFeedbackEntity, LiveScoreEntity] as const;
  await uow.write(async (tx) => {
    for (const kind of kinds) {
      const ofKind = rows.filter((r) => r instanceof kind);
      for (let i = 0; i < ofKind.length; i += 100) {
        await managerOf(tx).insert(kind, ofKind.slice(i, i + 100) as never);
      }
    }
  });
}

/** The use case's live settings (the defaults with these changed). */
export async function givenLiveSettings(
  api: TestApi,
  aiUseCaseId: string,
  settings: Partial<LiveSettings>,
): Promise<void> {
  const uow = api.app.get(UnitOfWork);
  const row = Object.assign(new LiveSettingsEntity(), {
    aiUseCaseId,
    ...DEFAULT_LIVE_SETTINGS,
    ...settings,
    updatedBy: 'test',
    updatedAt: new Date(),
  });
  await uow.write((tx) => managerOf(tx).upsert(LiveSettingsEntity, row as never, ['aiUseCaseId']));
}

/** Moves the use case's entry into learn back to `at` (it entered learn that long ago). */
export async function givenEnteredLearnAt(api: TestApi, aiUseCaseId: string, at: Date): Promise<void> {
  const uow = api.app.get(UnitOfWork);
  await uow.write((tx) =>
    managerOf(tx).update(StageChangeEntity, { aiUseCaseId, toStage: 'learn' }, { createdAt: at }),
  );
}

/** Rows read back for assertions. */
export async function interactionsOf(api: TestApi, aiUseCaseId: string): Promise<LiveInteractionEntity[]> {
  const uow = api.app.get(UnitOfWork);
  return uow.read((tx) => managerOf(tx).find(LiveInteractionEntity, { where: { aiUseCaseId } }));
}

/** Today's UTC day, `YYYY-MM-DD` (the day live measures and judge budgets count in). */
export const todayUtcDay = (): string => new Date().toISOString().slice(0, 10);

/** What a queue job runs with, for calling a job's service directly (`signal` aborts it). */
export const jobContext = (signal: AbortSignal = new AbortController().signal): JobContext => ({
  signal,
  attemptsStarted: 1,
  enqueuedAt: Date.now(),
  worker: 'test',
});

/** A suite `<name>@1` on `<name>-questions@1` against the `stub` connection, with these scorer YAML lines. */
export const judgedSuiteYaml = (name: string, scorers: string[], timeoutMs = 2_000): string =>
  [
    `name: ${name}`,
    'version: 1',
    `dataset: ${name}-questions@1`,
    'target: { type: openai, model: stub-model, connection: stub }',
    `limits: { timeoutMs: ${timeoutMs} }`,
    'scorers:',
    ...scorers,
  ].join('\n');

/** The stored verdicts of one scorer on these interactions, in interaction id order. */
export async function verdictsOf(
  api: TestApi,
  rows: { id: string }[],
  scorer: string,
): Promise<LiveScoreEntity[]> {
  const uow = api.app.get(UnitOfWork);
  return uow.read((tx) =>
    managerOf(tx).find(LiveScoreEntity, {
      where: { interactionId: In(rows.map((r) => r.id)), scorer },
      order: { interactionId: 'ASC' },
    }),
  );
}

/** Today's live measures of the use case, as `token` reads them through the API. */
export async function measuresToday(
  api: TestApi,
  token: string,
  aiUseCaseId: string,
): Promise<{
  judgeCalls: { day: string; used: number; budget: number };
  scorers: { scorer: string; scored: number; failed: number; unscored: number }[];
  [key: string]: unknown;
}> {
  const day = todayUtcDay();
  return (
    await api.as(token).get(`/v1/ai-use-cases/${aiUseCaseId}/live-measures?from=${day}&to=${day}`).expect(200)
  ).body;
}

/** The use case's live settings as a PUT body (the view's own fields left out), read through the API. */
export async function liveSettingsBody(
  api: TestApi,
  token: string,
  aiUseCaseId: string,
): Promise<Record<string, unknown>> {
  const view = (await api.as(token).get(`/v1/ai-use-cases/${aiUseCaseId}/live-settings`).expect(200))
    .body as Record<string, unknown>;
  const { aiUseCaseId: _id, stored: _stored, updatedBy: _by, updatedAt: _at, ...body } = view;
  return body;
}

/** The live settings form, valid, as a browser sends it (percentages for shares), with `change` applied. */
export const liveSettingsForm = (change: Record<string, string> = {}): Record<string, string> => ({
  sampleRate: '25',
  captureText: 'yes',
  redactPii: 'yes',
  retentionDays: '14',
  judgeCallsPerDay: '100',
  reevaluateEveryDays: '',
  windowDays: '7',
  minCases: '200',
  rateMargin: '7',
  lengthRatio: '2.5',
  reason: '',
  ...change,
});

/**
 * The use case's live traffic as if it had arrived when it happened (one second later, scored a second after
 * that): the gate reads only what arrived and was scored before its window closed, so traffic sent today with
 * yesterday's times counts only tomorrow.
 */
export async function givenArrivedAsItHappened(api: TestApi, aiUseCaseId: string): Promise<void> {
  const uow = api.app.get(UnitOfWork);
  await uow.write(async (tx) => {
    const m = managerOf(tx);
    for (const row of await m.find(LiveInteractionEntity, { where: { aiUseCaseId } })) {
      await m.update(
        LiveInteractionEntity,
        { id: row.id },
        { receivedAt: new Date(row.startedAt.getTime() + 1_000) },
      );
    }
    for (const row of await m.find(LiveScoreEntity, { where: { aiUseCaseId } })) {
      await m.update(
        LiveScoreEntity,
        { interactionId: row.interactionId, scorer: row.scorer },
        { scoredAt: new Date(row.startedAt.getTime() + 2_000) },
      );
    }
    for (const row of await m.find(LiveFeedbackEntity, { where: { aiUseCaseId } })) {
      await m.update(
        LiveFeedbackEntity,
        { id: row.id },
        { receivedAt: new Date(row.occurredAt.getTime() + 1_000) },
      );
    }
  });
}

/**
 * A policy for live pilots: every gate needs `suite` passed and one reviewer's approval; the gate to scale
 * also the pilot's override rate and the `pii` scorer's failure rate on live traffic (each upper95 at most
 * its threshold, over at least 100 cases).
 */
export function livePilotPolicy(suite: string, max: { overrideRate: number; piiFailureRate: number }) {
  const pilot = (measure: string, threshold: number, extra: object = {}) => ({
    kind: 'pilot_metric',
    measure,
    ...extra,
    stat: 'upper95',
    op: '<=',
    threshold,
    minCases: 100,
  });
  const gates = (['low', 'medium', 'high'] as const).flatMap((tier) =>
    (['test', 'learn', 'scale'] as const).map((to) => ({
      tier,
      to,
      rules: [
        { kind: 'suite_passed', suite, maxAgeDays: 30 },
        ...(to === 'scale'
          ? [
              pilot('override_rate', max.overrideRate),
              pilot('guardrail_failure_rate', max.piiFailureRate, { scorer: 'pii' }),
            ]
          : []),
        { kind: 'approvals', count: 1, role: 'reviewer' },
      ],
    })),
  );
  return { description: `${suite}: scale on the live pilot's override and PII rates`, gates };
}

/**
 * A use case registered by the owner and moved up to `stage` (at most learn) through the API as
 * `givenUseCaseAt` does, but on one completed run of the suite that both gates read: the target and the
 * risks recorded and one run (`givenEvidenceFor` test), then for each gate a passing evaluation, its
 * approvals and the promotion. A gate reads the latest run on the registered target within its rule's
 * `maxAgeDays`, so the gate to learn needs no fresh run of its own; the live specs, which walk many use
 * cases to learn, save a run each. Returns its id.
 */
export async function givenUseCaseOnOneRun(
  api: TestApi,
  stage: Exclude<Stage, 'scale'>,
  given: UseCaseGiven,
): Promise<string> {
  const id = await givenUseCaseAt(api, 'proposed', given);
  if (stage === 'proposed') {
    return id;
  }
  await givenEvidenceFor(api, id, 'test', given);
  for (const to of stage === 'learn' ? (['test', 'learn'] as const) : (['test'] as const)) {
    const evaluation = await givenPassingEvaluation(api, id, to, given);
    await givenApproved(api, evaluation, given);
    await givenPromoted(api, id, evaluation, given);
  }
  return id;
}
