import { parse } from 'yaml';
import { jsonl, questionItems, stubSuiteYaml } from './givens';

describe('test givens', () => {
  it('numbers questions from 1, with padded ids, "yes" expected and no metadata unless asked', () => {
    expect(questionItems(2)).toEqual([
      { id: 'q-001', input: 'question 1', expected: 'yes' },
      { id: 'q-002', input: 'question 2', expected: 'yes' },
    ]);
    const items = questionItems(10, {
      idPrefix: 'w-',
      idWidth: 1,
      expected: (k) => (k % 5 === 0 ? 'no' : 'yes'),
      metadata: (k) => ({ band: k <= 5 ? 'low' : 'high' }),
    });
    expect(items[4]).toEqual({ id: 'w-5', input: 'question 5', expected: 'no', metadata: { band: 'low' } });
    expect(
      jsonl(items)
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(items);
  });

  it('writes suite YAML that reads back as the suite asked for', () => {
    const yaml = stubSuiteYaml({
      name: 'yes-no',
      dataset: 'questions@1',
      scorers: [
        { type: 'equals', name: 'correct' },
        { type: 'pii_leakage', name: 'no-pii' },
      ],
      groupBy: ['band'],
      minGroupSize: 5,
      concurrency: 8,
      thresholds: [{ metric: 'no-pii', stat: 'upper95', op: '<=', value: 0.5 }],
    });
    expect(parse(yaml)).toEqual({
      name: 'yes-no',
      version: 1,
      dataset: 'questions@1',
      target: { type: 'openai', model: 'stub-model', connection: 'stub' },
      scorers: [
        { type: 'equals', name: 'correct' },
        { type: 'pii_leakage', name: 'no-pii' },
      ],
      groupBy: ['band'],
      minGroupSize: 5,
      concurrency: 8,
      thresholds: [{ metric: 'no-pii', stat: 'upper95', op: '<=', value: 0.5 }],
    });
    expect(stubSuiteYaml({ name: 'n', dataset: 'd@1' })).not.toContain('thresholds');
  });
});
