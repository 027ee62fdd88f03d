import { mapSuiteToConnections } from './connection-mapping';
import { suiteSchema } from './suite-schema';
import { platformProblems } from '../targets/platform-policy';

const base = { name: 's', version: 1, dataset: 'd@1' };

describe('mapSuiteToConnections', () => {
  it('maps an openai target and its judges to connections, dropping the local endpoint and key', () => {
    const mapped = mapSuiteToConnections(
      {
        ...base,
        target: { type: 'openai', model: 'm', baseUrl: 'http://localhost:8000/v1', apiKeyEnv: 'MY_KEY' },
        scorers: [
          {
            type: 'rubric_judge',
            rubric: 'r',
            judge: { model: 'j', baseUrl: 'http://x/v1', headers: { a: 'b' } },
          },
          { type: 'rubric_judge', name: 'p', rubric: 'r', panel: [{ model: 'a' }, { model: 'b' }] },
          { type: 'equals' },
        ],
      },
      { target: 'azure-prod', judges: 'judges' },
    );
    expect(mapped['target']).toEqual({ type: 'openai', model: 'm', connection: 'azure-prod' });
    const suite = suiteSchema.parse(mapped);
    expect(platformProblems(suite.target, suite.scorers, new Set())).toEqual([]);
  });

  it('keeps an http target’s path and query as the path on the connection', () => {
    const mapped = mapSuiteToConnections(
      {
        ...base,
        target: {
          type: 'http',
          url: 'https://svc.example/api/answer?v=2',
          headers: { Authorization: 'Bearer ${T}' },
        },
        scorers: [{ type: 'equals' }],
      },
      { target: 'claims-bot' },
    );
    expect(mapped['target']).toEqual({ type: 'http', connection: 'claims-bot', path: '/api/answer?v=2' });
    expect(suiteSchema.safeParse(mapped).success).toBe(true);
  });

  it('leaves replay targets, module targets and suites without a connection alone', () => {
    const replay = { ...base, target: { type: 'replay', cassette: 'c' }, scorers: [{ type: 'equals' }] };
    expect(mapSuiteToConnections(replay, { target: 'x' })).toEqual(replay);
    const module = { ...base, target: { type: 'langchain', module: './chain.js' }, scorers: [] };
    expect(mapSuiteToConnections(module, { target: 'x' })).toEqual(module);
    expect(mapSuiteToConnections(replay, {})).toEqual(replay);
  });
});
