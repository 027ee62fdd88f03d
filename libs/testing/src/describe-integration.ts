import { missingServices, type TestService } from './services';
import { testDriver } from './test-database';

/**
 * `describe` for a suite that needs real services: the current driver's database (PostgreSQL in the
 * postgres projects) plus any listed. When one is missing outside CI the suite is skipped, and the
 * global setup has already said so loudly; under CI=true the run has failed before getting here.
 */
export function describeIntegration(
  name: string,
  body: () => void,
  options: { needs?: TestService[] } = {},
): void {
  const needs = new Set<TestService>(options.needs ?? []);
  if (testDriver() === 'postgres') {
    needs.add('postgres');
  }
  const missing = missingServices().filter((service) => needs.has(service));
  if (missing.length > 0) {
    describe.skip(`${name} [SKIPPED: ${missing.join(' and ')} unreachable]`, body);
  } else {
    describe(`${name} [${testDriver()}]`, body);
  }
}
