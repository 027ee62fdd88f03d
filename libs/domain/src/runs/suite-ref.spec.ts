import { formatSuiteRef, parseSuiteRef } from './suite-ref';

describe('parseSuiteRef', () => {
  it('splits name@version into the name and the version number', () => {
    expect(parseSuiteRef('benefits-triage@12')).toEqual({ name: 'benefits-triage', version: 12 });
    expect(parseSuiteRef('a.b_c@1')).toEqual({ name: 'a.b_c', version: 1 });
  });

  it('refuses text that is not name@version', () => {
    for (const text of ['', 'triage', 'triage@', '@1', 'Triage@1', '-triage@1', 'triage@v1', 'a@1@2']) {
      expect(parseSuiteRef(text)).toBeNull();
    }
    expect(parseSuiteRef(`${'a'.repeat(81)}@1`)).toBeNull();
  });

  it('formats a ref as name@version', () => {
    expect(formatSuiteRef({ name: 'safety-refusals', version: 3 })).toBe('safety-refusals@3');
  });
});
