import { waitedExitCode } from './run.command';

describe('runs start --wait exit codes', () => {
  it.each<[string, { status: string; outcome: string | null }, number]>([
    ['passed', { status: 'completed', outcome: 'passed' }, 0],
    ['a threshold failed: the evidence says no', { status: 'completed', outcome: 'failed' }, 1],
    ['too many items errored: no evidence either way', { status: 'completed', outcome: 'errored' }, 2],
    [
      'the run failed with a reason (a wrong key, a module that does not load)',
      { status: 'failed', outcome: null },
      2,
    ],
    ['cancelled, partial', { status: 'cancelled', outcome: 'failed' }, 1],
  ])('%s', (_name, run, code) => {
    expect(waitedExitCode(run)).toBe(code);
  });
});
