import { parseSuite, SuiteValidationError } from './suite-loader';

const valid = `# A triage suite
name: benefits-triage
version: 1
dataset: benefits-enquiries@1
target:
  type: openai
  model: gpt-4o-mini
  temperature: 0
prompt:
  system: Route the enquiry.
  template: "Enquiry: {{input}}"
scorers:
  - type: classification
    name: routing
    labels: [universal_credit, pip]
  - type: pii_leakage
thresholds:
  - { metric: routing, stat: ci_lower, op: ">=", value: 0.8 }
`;

const problems = (text: string) => {
  try {
    parseSuite(text, 'suite.yaml');
  } catch (error) {
    if (error instanceof SuiteValidationError) {
      return error.problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`);
    }
    throw error;
  }
  throw new Error('expected the suite to be refused');
};

describe('parseSuite', () => {
  it('validates a suite and applies defaults', () => {
    const { definition, hash } = parseSuite(valid);
    expect(definition).toMatchObject({
      name: 'benefits-triage',
      epochs: 1,
      concurrency: 10,
      limits: { timeoutMs: 30_000 },
      target: { type: 'openai', apiKeyEnv: 'OPENAI_API_KEY' },
      scorers: [
        { type: 'classification', weight: 1, normalise: true },
        { type: 'pii_leakage', allow: [] },
      ],
    });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the meaning, not the formatting', () => {
    const reformatted = valid
      .replace('# A triage suite\n', '')
      .replace('temperature: 0', 'temperature: 0.0 # deterministic');
    expect(parseSuite(reformatted).hash).toBe(parseSuite(valid).hash);
    expect(parseSuite(valid.replace('value: 0.8', 'value: 0.85')).hash).not.toBe(parseSuite(valid).hash);
  });

  it.each<[string, string, string[]]>([
    [
      'an unknown field, at its line',
      valid.replace('  temperature: 0', '  temprature: 0'),
      ['8:3 target.temprature: unknown field "temprature"'],
    ],
    [
      'a bad scorer type',
      valid.replace('type: pii_leakage', 'type: pii_leak'),
      ['16:11 scorers[1].type: unknown type "pii_leak"; scorers are equals, includes'],
    ],
    [
      'a missing required field',
      valid.replace('  model: gpt-4o-mini\n', ''),
      ['6:3 target.model: is required'],
    ],
    [
      'a bad dataset reference',
      valid.replace('benefits-enquiries@1', 'benefits-enquiries'),
      ['4:10 dataset: must be <dataset>@<version>, e.g. benefits-enquiries@1'],
    ],
    [
      'a threshold on an unknown metric',
      valid.replace('metric: routing', 'metric: accuracy'),
      ['18:15 thresholds[0].metric: no scorer produces the metric "accuracy" (known: routing, pii_leakage)'],
    ],
    [
      'an invalid regex',
      valid.replace('  - type: pii_leakage', '  - type: regex\n    pattern: "(unclosed"'),
      ['17:14 scorers[1].pattern: is not a valid regular expression'],
    ],
    [
      'a duplicated metric name',
      valid.replace('  - type: pii_leakage', '  - type: includes\n    name: routing'),
      ['17:11 scorers[1].name: metric "routing" is already defined by scorers[0]; give this scorer a name'],
    ],
  ])('refuses %s', (_name, text, expected) => {
    const found = problems(text);
    expected.forEach((line) =>
      expect(found).toEqual(expect.arrayContaining([expect.stringContaining(line)])),
    );
  });

  it('reports every problem at once', () => {
    expect(
      problems(
        valid
          .replace('version: 1', 'version: 0')
          .replace('concurrency', 'x')
          .replace('model: gpt-4o-mini', 'model: ""'),
      ),
    ).toHaveLength(2);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('name: x\nversion: 1\nversion: 2\n')[0]).toMatch(
      /^3:1 \(yaml\): Map keys must be unique/,
    );
  });

  it('refuses a live target with both a model and a module', () => {
    const text = valid.replace(
      'type: openai\n  model: gpt-4o-mini',
      'type: langchain\n  model: gpt-4o-mini\n  module: ./chain.js',
    );
    expect(problems(text)).toEqual([expect.stringContaining('target: needs exactly one of model')]);
  });

  it('refuses pass_at_k with fewer epochs than k', () => {
    expect(problems(valid + 'epochs: { count: 2, reducer: pass_at_5 }\n')).toEqual([
      expect.stringContaining('epochs.reducer: pass_at_5 needs at least 5 epochs (count is 2)'),
    ]);
  });

  it('accepts negated scorers and epochs with a reducer', () => {
    const text = valid.replace(
      '  - type: pii_leakage',
      '  - type: not-includes\n    values: [guarantee]\nepochs: { count: 3, reducer: pass_at_2 }',
    );
    expect(parseSuite(text).definition).toMatchObject({
      epochs: { count: 3, reducer: 'pass_at_2' },
      scorers: [{}, { type: 'not-includes', mode: 'all' }],
    });
  });
});
