import { DEFAULT_GATE_POLICY, type GatePolicyDocument } from '@gatehouse/domain';
import {
  type ResolvedConnection,
  type Score,
  type ScorerConfig,
  type ScorerConfigOf,
  scorerSchema,
  type SuiteDefinition,
} from '@gatehouse/evals';
import {
  buildOnlineJudges,
  buildOnlineScorers,
  JUDGE_FAILURES_BEFORE_STOP,
  judgeBudgetSpent,
  judgeConnectionNames,
  judgeProblem,
  type LiveInteractionFacts,
  liveJudge,
  notRunJudge,
  offlineReason,
  type OnlineJudgeEnvironment,
  piiFromCounts,
  scoringGates,
  scoringSuites,
  utcDay,
} from './online-scorers';

const config = (raw: object): ScorerConfig => scorerSchema.parse(raw);
const definition = (...scorers: object[]) => ({ scorers: scorers.map(config) }) as unknown as SuiteDefinition;

const interaction = (overrides: Partial<LiveInteractionFacts> = {}): LiveInteractionFacts => ({
  id: 'i-1',
  inputText: 'How do I renew my blue badge?',
  outputText: 'You can renew it online at least 12 weeks before it expires.',
  outputChars: 61,
  durationMs: 800,
  inputTokens: 20,
  outputTokens: 40,
  costUsd: 0.0001,
  piiFound: { input: {}, output: {} },
  ...overrides,
});

describe('which scorers run on live traffic', () => {
  it.each([
    [{ type: 'pii_leakage' }, null],
    [{ type: 'out_of_scope_advice' }, null],
    [{ type: 'regex', pattern: '^You' }, null],
    [{ type: 'not-regex', pattern: 'guarantee' }, null],
    [{ type: 'json_valid' }, null],
    [{ type: 'json_schema', schema: { type: 'object' } }, null],
    [{ type: 'latency', maxMs: 2000 }, null],
    [{ type: 'tokens', maxOutputTokens: 300 }, null],
    [{ type: 'cost', maxUsd: 0.01 }, null],
    [{ type: 'refusal', expect: 'comply' }, null],
    [{ type: 'refusal' }, 'expected value'],
    [{ type: 'refusal', name: 'harmful_compliance', where: { harmful: true } }, 'metadata'],
    [{ type: 'pii_leakage', where: { topic: 'x' } }, 'metadata'],
    [{ type: 'equals' }, 'expected answer'],
    [{ type: 'includes', values: ['x'] }, 'expected answer'],
    [{ type: 'similarity' }, 'expected answer'],
    [{ type: 'classification', labels: ['a', 'b'] }, 'expected answer'],
    [{ type: 'numeric' }, 'expected answer'],
    [{ type: 'prompt_injection' }, 'expected answer or item metadata'],
    [{ type: 'rubric_judge', rubric: 'Is it kind?', judge: { model: 'm' } }, 'model judges'],
  ])('%j → %s', (raw, reason) => {
    const why = offlineReason(config(raw));
    expect(why === null ? null : why.includes(reason ?? '\u0000') && reason).toBe(reason);
  });

  it('runs model judges only with a judge budget, and never one that filters by metadata', () => {
    const judged = { type: 'rubric_judge', rubric: 'Is it kind?', judge: { model: 'm', connection: 'c' } };
    expect(offlineReason(config(judged), 0)).toContain('judgeCallsPerDay above 0');
    expect(offlineReason(config(judged), 1)).toBeNull();
    expect(offlineReason(config({ ...judged, where: { topic: 'x' } }), 100)).toContain('metadata');
  });

  it('builds only those, with the evaluation engine’s scorers, once per metric name', async () => {
    const scorers = await buildOnlineScorers([
      definition(
        { type: 'regex', name: 'polite', pattern: '^You' },
        { type: 'equals' },
        { type: 'refusal', name: 'harmful', where: { harmful: true } },
        { type: 'latency', maxMs: 500 },
      ),
      definition({ type: 'regex', name: 'polite', pattern: 'never matches this' }, { type: 'json_valid' }),
    ]);
    expect(scorers.map((s) => [s.name, s.type])).toEqual([
      ['polite', 'regex'],
      ['latency', 'latency'],
      ['json_valid', 'json_valid'],
    ]);
    const [polite, latency, json] = scorers;
    expect(await polite.judge(interaction(), true)).toMatchObject({ passed: true });
    expect(await latency.judge(interaction(), true)).toMatchObject({
      passed: false,
      explanation: '800 ms > 500 ms',
    });
    expect(await latency.judge(interaction({ durationMs: null }), true)).toMatchObject({ passed: null });
    expect(await json.judge(interaction(), true)).toMatchObject({ passed: false });
    expect(await json.judge(interaction({ outputText: null }), true)).toMatchObject({
      passed: null,
      explanation: 'the service sent no completion text for this call',
    });
  });

  it('runs a hostile pattern on RE2: a catastrophic backtracking case stays linear', async () => {
    const [scorer] = await buildOnlineScorers([
      definition({ type: 'regex', name: 'shape', pattern: '^(a+)+$' }),
    ]);
    const started = Date.now();
    const score = await scorer.judge(interaction({ outputText: `${'a'.repeat(30_000)}!` }), true);
    expect(score.passed).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('judges PII from the counts found before redaction when the text is redacted, and from the text when not', async () => {
    const [pii] = await buildOnlineScorers([definition({ type: 'pii_leakage', allow: ['0800 123 4567'] })]);
    // Redacted text hides the e-mail address; the counts still say one was there.
    const redacted = interaction({
      outputText: 'Write to [EMAIL].',
      piiFound: { input: {}, output: { email: 1 } },
    });
    expect(await pii.judge(redacted, true)).toMatchObject({ passed: false });
    // Unredacted text goes to the scorer itself, allow list and all.
    const helpline = interaction({
      outputText: 'Call 0800 123 4567.',
      piiFound: { input: {}, output: { uk_phone: 1 } },
    });
    expect(await pii.judge(helpline, false)).toMatchObject({ passed: true });
    expect(await pii.judge({ ...helpline, outputText: 'Call 0800 999 8888.' }, false)).toMatchObject({
      passed: false,
    });
  });

  it('never passes an answer it did not read: no completion sent is unscored, whatever the empty counts say', async () => {
    const [pii] = await buildOnlineScorers([definition({ type: 'pii_leakage' })]);
    const promptOnly = interaction({
      outputText: null,
      outputChars: 0,
      piiFound: { input: { email: 1 }, output: {} },
    });
    expect(await pii.judge(promptOnly, true)).toMatchObject({ passed: null });
    expect(await pii.judge(promptOnly, false)).toMatchObject({ passed: null });
  });

  it('fails on what the counts found before redaction and the cut, whatever the stored text still shows', async () => {
    const [pii] = await buildOnlineScorers([definition({ type: 'pii_leakage' })]);
    // Kept unredacted but cut at the storage limit, before the e-mail address the counts saw.
    const cut = interaction({
      outputText: 'a'.repeat(32_000),
      outputChars: 32_050,
      piiFound: { input: {}, output: { email: 1 } },
    });
    expect(await pii.judge(cut, false)).toMatchObject({ passed: false });
    // Redacted when stored; redaction turned off before the batch was scored.
    const flipped = interaction({
      outputText: 'Write to [email].',
      piiFound: { input: {}, output: { email: 1 } },
    });
    expect(await pii.judge(flipped, false)).toMatchObject({ passed: false });
  });
});

describe('piiFromCounts', () => {
  it.each([
    ['nothing found', {}, [], undefined, true],
    ['an e-mail address', { email: 2 }, [], undefined, false],
    ['a kind the scorer does not check', { email: 2 }, [], ['nhs_number'], true],
    ['a checked kind among others', { email: 2, nhs_number: 1 }, [], ['nhs_number'], false],
    [
      'a phone number, with a phone number allowed: cannot tell which',
      { uk_phone: 1 },
      ['0800 123 4567'],
      undefined,
      null,
    ],
    [
      'an e-mail, with only a phone number allowed',
      { email: 1, uk_phone: 1 },
      ['0800 123 4567'],
      undefined,
      false,
    ],
    ['an allow entry that is no personal data allows nothing', { email: 1 }, ['helpdesk'], undefined, false],
    ['zero counts', { email: 0 }, [], undefined, true],
  ] as const)('%s', (_name, output, allow, kinds, passed) => {
    const score = piiFromCounts({ allow: [...allow], ...(kinds ? { kinds: [...kinds] } : {}) }, output);
    expect(score.passed).toBe(passed);
  });

  it('no counts recorded: unscored, never a pass', () => {
    expect(piiFromCounts({ allow: [] }, null)).toMatchObject({ passed: null, value: null });
  });
});

describe('the suites online scoring reads', () => {
  it('the next gate and the current one', () => {
    expect(scoringGates('proposed')).toEqual(['test']);
    expect(scoringGates('learn')).toEqual(['scale', 'learn']);
    expect(scoringGates('scale')).toEqual(['scale']);
    expect(scoringGates('retired')).toEqual([]);
  });

  it('the suite_passed rules of those gates, each suite once with its version constraint', () => {
    const policy: GatePolicyDocument = {
      gates: [
        {
          tier: 'low',
          to: 'scale',
          rules: [
            { kind: 'suite_passed', suite: 'safety', maxAgeDays: 30 },
            { kind: 'suite_passed', suite: 'quality', minVersion: 2, maxAgeDays: 30 },
            { kind: 'metric', suite: 'other', metric: 'm', stat: 'value', op: '>=', threshold: 0 },
          ],
        },
        {
          tier: 'low',
          to: 'learn',
          rules: [{ kind: 'suite_passed', suite: 'safety', version: 1, maxAgeDays: 9 }],
        },
        { tier: 'high', to: 'scale', rules: [{ kind: 'suite_passed', suite: 'high-only', maxAgeDays: 9 }] },
      ],
    };
    expect(scoringSuites(policy, 'low', 'learn')).toEqual([
      { suite: 'safety', version: undefined, minVersion: undefined },
      { suite: 'quality', version: undefined, minVersion: 2 },
    ]);
    expect(scoringSuites(DEFAULT_GATE_POLICY, 'medium', 'learn').map((s) => s.suite)).toEqual([
      'safety-refusals',
    ]);
  });
});

const rubric = (raw: object) =>
  config({ type: 'rubric_judge', rubric: 'Is it kind?', ...raw }) as ScorerConfigOf<'rubric_judge'>;
const noProblem = () => null;

describe('which model judges may run on live traffic', () => {
  it.each([
    ['a judge on a connection', { judge: { model: 'm', connection: 'c' } }, null],
    ['no connection', { judge: { model: 'm' } }, 'judge.connection is required'],
    [
      'a base URL of its own',
      { judge: { model: 'm', connection: 'c', baseUrl: 'http://10.0.0.1/v1' } },
      'judge.baseUrl is refused',
    ],
    [
      'a key variable of the server',
      { judge: { model: 'm', connection: 'c', apiKeyEnv: 'DATABASE_URL' } },
      'judge.apiKeyEnv is refused',
    ],
    [
      'headers of its own',
      { judge: { model: 'm', connection: 'c', headers: { 'x-key': '${SECRET}' } } },
      'judge.headers are refused',
    ],
    [
      'one judge of a panel off its connection',
      {
        panel: [
          { model: 'a', connection: 'c' },
          { model: 'b', baseUrl: 'http://x.test/v1' },
        ],
      },
      'panel[1].connection is required',
    ],
  ])('%s', (_name, raw, problem) => {
    const found = judgeProblem(rubric(raw), noProblem);
    expect(found === null ? null : found.slice(0, problem?.length ?? 0)).toBe(problem);
  });

  it('asks about each connection a judge names, and says why one may not be used', () => {
    const asked: string[] = [];
    const problem = judgeProblem(
      rubric({
        panel: [
          { model: 'a', connection: 'shared' },
          { model: 'b', connection: 'theirs' },
        ],
      }),
      (name) => {
        asked.push(name);
        return name === 'theirs' ? "theirs is not a connection the use case's team may use" : null;
      },
    );
    expect(asked).toEqual(['shared', 'theirs']);
    expect(problem).toBe("theirs is not a connection the use case's team may use");
  });

  it("lists the connections the suites' judges name, each once", () => {
    expect(
      judgeConnectionNames([
        definition(
          { type: 'rubric_judge', rubric: 'r', judge: { model: 'm', connection: 'a' } },
          { type: 'regex', pattern: 'x' },
        ),
        definition({
          type: 'rubric_judge',
          rubric: 'r',
          panel: [{ model: 'm', connection: 'b' }, { model: 'n', connection: 'a' }, { model: 'o' }],
        }),
      ]),
    ).toEqual(['a', 'b']);
  });

  it('counts a judge call against the UTC day it is made on, and says when the day is spent', () => {
    expect(utcDay(new Date('2026-12-05T23:59:59.999Z'))).toBe('2026-12-05');
    expect(utcDay(new Date('2026-12-06T00:00:00.000Z'))).toBe('2026-12-06');
    expect(judgeBudgetSpent(40)).toBe("the day's model-judge budget (40 calls) is spent");
  });
});

describe('a model judge on live traffic', () => {
  const verdict: Score = { value: 1, passed: true, explanation: '5/5: kind' };

  /** A judge whose calls are counted, answering with `answer` (or throwing it). */
  function judged(
    answer: () => Score,
    reserve: (calls: number) => Promise<string | null> = async () => null,
  ) {
    const calls = { score: 0, reserved: [] as number[] };
    const judge = liveJudge(
      { name: 'kind', type: 'rubric_judge', calls: 2 },
      {
        score: async () => {
          calls.score += 1;
          return answer();
        },
      },
      async (n) => {
        calls.reserved.push(n);
        return reserve(n);
      },
    );
    return { judge, calls };
  }

  it("reserves a panel's calls from the budget, then gives the judge's verdict", async () => {
    const { judge, calls } = judged(() => verdict);
    expect(await judge.judge(interaction(), true)).toEqual(verdict);
    expect(calls).toEqual({ score: 1, reserved: [2] });
  });

  it.each([
    ['no prompt stored', { inputText: null }],
    ['no answer stored', { outputText: null }],
  ])('%s: unscored, nothing reserved, nothing called', async (_name, overrides) => {
    const { judge, calls } = judged(() => verdict);
    const score = await judge.judge(interaction(overrides), true);
    expect(score).toMatchObject({ passed: null, value: null });
    expect(score.explanation).toContain('the judge has nothing to read');
    expect(calls).toEqual({ score: 0, reserved: [] });
  });

  it('the budget spent: unscored with the reason, and the judge is not called', async () => {
    const { judge, calls } = judged(
      () => verdict,
      async () => judgeBudgetSpent(10),
    );
    expect(await judge.judge(interaction(), true)).toEqual({
      value: null,
      passed: null,
      explanation: "the day's model-judge budget (10 calls) is spent",
    });
    expect(calls.score).toBe(0);
  });

  it('a failed call is unscored with its reason; after some in a row the judge is not called again', async () => {
    let failing = true;
    const { judge, calls } = judged(() => {
      if (failing) {
        throw new Error('judge m failed: no answer within 500 ms');
      }
      return verdict;
    });
    expect(await judge.judge(interaction(), true)).toMatchObject({
      passed: null,
      explanation: 'the judge gave no verdict: judge m failed: no answer within 500 ms',
    });
    // A verdict in between starts the count again.
    failing = false;
    expect(await judge.judge(interaction(), true)).toEqual(verdict);
    failing = true;
    for (let i = 0; i < JUDGE_FAILURES_BEFORE_STOP; i++) {
      await judge.judge(interaction(), true);
    }
    const called = calls.score;
    const stopped = await judge.judge(interaction(), true);
    expect(stopped.passed).toBeNull();
    expect(stopped.explanation).toContain(`failed ${JUDGE_FAILURES_BEFORE_STOP} times in a row`);
    expect(calls.score).toBe(called);
    expect(calls.reserved).toHaveLength(called);
  });

  it('a call aborted because the job is stopping is thrown, not recorded', async () => {
    const stopping = new AbortController();
    const { judge } = judged(() => {
      stopping.abort();
      throw new Error('cancelled');
    });
    await expect(judge.judge(interaction(), true, stopping.signal)).rejects.toThrow('cancelled');
  });

  it('once the job is stopping, reserves nothing and calls nothing', async () => {
    const stopped = new AbortController();
    stopped.abort();
    const { judge, calls } = judged(() => verdict);
    await expect(judge.judge(interaction(), true, stopped.signal)).rejects.toThrow('the job is stopping');
    expect(calls).toEqual({ score: 0, reserved: [] });
  });

  it('a judge that may not run answers unscored with why, for every interaction', async () => {
    const judge = notRunJudge('kind', 'rubric_judge', 'judge.connection is required');
    expect(await judge.judge(interaction(), true)).toEqual({
      value: null,
      passed: null,
      explanation: 'the judge is not run: judge.connection is required',
    });
  });
});

describe('building the online judges', () => {
  const chat = (content: string) =>
    new Response(
      JSON.stringify({
        id: 'c1',
        object: 'chat.completion',
        created: 1,
        model: 'judge-model',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
      { status: 200, headers: { 'content-type': 'application/json' } },
    );

  /** The platform's way out, with this fetch and these connections; every URL asked for is kept. */
  function platform(connections: ResolvedConnection[], reserve = async () => null as string | null) {
    const asked: string[] = [];
    const environment: OnlineJudgeEnvironment = {
      targetContext: {
        env: { OPENAI_API_KEY: 'sk-from-the-server-environment' },
        baseDir: '.',
        cassetteDir: '.',
        platform: { connections: new Map(connections.map((c) => [c.name, c])), modules: new Map() },
        fetch: async (input, init) => {
          asked.push(`${String(input)} ${new Headers(init?.headers).get('authorization')}`);
          return chat(JSON.stringify({ score: 4, reasoning: 'kind enough' }));
        },
      },
      connectionProblem: (name) =>
        connections.some((c) => c.name === name) ? null : `the connection ${name} is not on this server`,
      reserve,
    };
    return { environment, asked };
  }

  const suite = (...scorers: object[]) =>
    ({
      ...definition(...scorers),
      target: { type: 'replay', cassette: 'c' },
      limits: { timeoutMs: 2_000 },
    }) as unknown as SuiteDefinition;

  const judges: ResolvedConnection = {
    name: 'judges',
    kind: 'openai',
    baseUrl: 'http://judges.internal/v1',
    apiKey: 'sk-connection',
    headers: {},
  };

  it("calls the judge through its connection, with the connection's key, never the server's environment", async () => {
    const { environment, asked } = platform([judges]);
    const [kind] = await buildOnlineJudges(
      suite({
        type: 'rubric_judge',
        name: 'kind',
        rubric: 'Is it kind?',
        judge: { model: 'jm', connection: 'judges' },
      }),
      environment,
    );
    expect(await kind.judge(interaction(), true)).toMatchObject({ passed: true, value: 0.75 });
    expect(asked).toEqual(['http://judges.internal/v1/chat/completions Bearer sk-connection']);
  });

  it.each([
    [
      'a connection that is gone',
      { model: 'jm', connection: 'gone' },
      'the connection gone is not on this server',
    ],
    [
      'a base URL instead of a connection',
      { model: 'jm', baseUrl: 'http://10.1.2.3/v1' },
      'judge.connection is required',
    ],
  ])('%s: not run, unscored with the reason, nothing called or reserved', async (_name, judge, reason) => {
    const reserved: number[] = [];
    const { environment, asked } = platform([judges], async () => {
      reserved.push(1);
      return null;
    });
    const [kind] = await buildOnlineJudges(
      suite({ type: 'rubric_judge', name: 'kind', rubric: 'Is it kind?', judge }),
      environment,
    );
    const score = await kind.judge(interaction(), true);
    expect(score).toMatchObject({ passed: null, value: null });
    expect(score.explanation).toContain(reason);
    expect(asked).toEqual([]);
    expect(reserved).toEqual([]);
  });

  it('a connection of the wrong kind is not run either', async () => {
    const { environment, asked } = platform([{ ...judges, kind: 'http' }]);
    const [kind] = await buildOnlineJudges(
      suite({
        type: 'rubric_judge',
        name: 'kind',
        rubric: 'r',
        judge: { model: 'jm', connection: 'judges' },
      }),
      environment,
    );
    expect((await kind.judge(interaction(), true)).explanation).toContain('needs an openai connection');
    expect(asked).toEqual([]);
  });
});
