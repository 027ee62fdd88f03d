import { jsonl, questionItems, type StubRequestBody } from '@gatehouse/testing';
import { givenUseCaseAt, type UseCaseCast } from './givens';
import { highRiskRecord } from './records';
import { type TestApi } from './test-api';

/**
 * A suite whose quality is graded by a model judge, on the local OpenAI stub: what the review specs (human
 * review, judge calibration, their gate rules and their attacks) share.
 */

/**
 * The stub's reply for a judged suite: the target answers question k "yes" when `right(k)`, else "no"; the
 * judge (a `rubric_judge` call) grades "yes" 5 and anything else 1, and says why.
 */
export function judgedReply(right: (k: number) => boolean): (body: StubRequestBody) => string {
  return (body) => {
    const system = body.messages[0]?.content ?? '';
    const user = body.messages.at(-1)?.content ?? '';
    if (system.startsWith('You are an impartial assessor')) {
      const answer = /<<<BEGIN ANSWER (\w+)>>>\n([\s\S]*)\n<<<END ANSWER \1>>>/.exec(user)?.[2].trim() ?? '';
      const score = answer === 'yes' ? 5 : 1;
      return JSON.stringify({ score, reasoning: `graded ${score}: the answer is "${answer}"` });
    }
    return right(Number(/question (\d+)/.exec(user)?.[1])) ? 'yes' : 'no';
  };
}

/**
 * Suite `<name>@1` over the dataset `<name>-questions@1`: a `rubric_judge` scorer `quality` against the stub
 * (and, with `equals`, an `equals` scorer `correct` before it).
 */
export function judgedSuiteYaml(name: string, options: { equals?: boolean } = {}): string {
  return [
    `name: ${name}`,
    'version: 1',
    `dataset: ${name}-questions@1`,
    'target: { type: openai, model: stub-model, connection: stub }',
    'scorers:',
    ...(options.equals ? ['  - { type: equals, name: correct }'] : []),
    '  - type: rubric_judge',
    '    name: quality',
    '    rubric: The answer is right.',
    '    judge: { model: judge-model, connection: stub }',
  ].join('\n');
}

/**
 * The engineer publishes `items` questions and the judged suite `<name>@1`; then a high-tier use case is
 * given at `test` with the suite's run as its evidence (the stub connection `stub` must exist). Returns the
 * use case and that run.
 */
export async function givenJudgedUseCaseAtTest(
  api: TestApi,
  cast: UseCaseCast,
  name: string,
  items: number,
  options: { equals?: boolean } = {},
): Promise<{ useCaseId: string; runId: string }> {
  await api
    .as(cast.engineer.token)
    .upload(`/v1/datasets?name=${name}-questions`, jsonl(questionItems(items)), 'application/x-ndjson')
    .expect(201);
  await api
    .as(cast.engineer.token)
    .upload('/v1/suites', judgedSuiteYaml(name, options), 'application/yaml')
    .expect(201);
  const useCaseId = await givenUseCaseAt(api, 'test', {
    cast,
    suite: `${name}@1`,
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
    record: highRiskRecord(),
  });
  const runs = await api.as(cast.owner.token).get(`/v1/runs?aiUseCaseId=${useCaseId}`).expect(200);
  return { useCaseId, runId: runs.body.items[0].id as string };
}
