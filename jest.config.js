// One `npm test` runs every tier. Integration suites (*.int-spec.ts) run twice, once per database driver,
// because SQLite and PostgreSQL differ in transactions, batch limits and types. Suites that need
// PostgreSQL or Redis fail under CI=true when those are unreachable and are skipped loudly otherwise.
const { readFileSync } = require('node:fs');

const paths = JSON.parse(readFileSync(`${__dirname}/tsconfig.base.json`, 'utf8')).compilerOptions.paths;
const swc = {
  jsc: {
    // Rewrites @gatehouse/* imports at transform time, so global setup (outside Jest's resolver) sees them too.
    baseUrl: __dirname,
    paths,
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
const moduleNameMapper = Object.fromEntries(
  Object.entries(paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: ['<rootDir>/libs/testing/src/jest/setup-env.ts'],
};
const services = '<rootDir>/libs/testing/src/jest/global-setup.ts';

module.exports = {
  // Integration suites wait on sockets, not CPU: two workers keep both cores busy on this machine.
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'] },
    {
      // Integration suites with no database (the evaluation engine against local HTTP servers): once.
      ...base,
      displayName: 'int',
      testMatch: ['<rootDir>/libs/evals/**/*.int-spec.ts', '<rootDir>/apps/cli/test/eval/**/*.int-spec.ts'],
    },
    {
      ...base,
      displayName: 'int-sqlite',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
      testPathIgnorePatterns: [
        ...base.testPathIgnorePatterns,
        '<rootDir>/libs/evals/',
        '<rootDir>/apps/cli/test/eval/',
      ],
      setupFiles: [...base.setupFiles, '<rootDir>/libs/testing/src/jest/driver-sqlite.ts'],
      globalSetup: services,
    },
    {
      ...base,
      displayName: 'int-postgres',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
      testPathIgnorePatterns: [
        ...base.testPathIgnorePatterns,
        '<rootDir>/libs/evals/',
        '<rootDir>/apps/cli/test/eval/',
      ],
      setupFiles: [...base.setupFiles, '<rootDir>/libs/testing/src/jest/driver-postgres.ts'],
      globalSetup: services,
    },
    {
      // Pages in headless Chromium (Debian's, via playwright-core).
      ...base,
      displayName: 'browser',
      testMatch: ['<rootDir>/{apps,libs}/**/*.browser-spec.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts'],
      setupFiles: [...base.setupFiles, '<rootDir>/libs/testing/src/jest/driver-postgres.ts'],
      globalSetup: services,
    },
  ],
};
