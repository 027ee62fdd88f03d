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
// openid-client and its two dependencies ship only ES modules; Jest's module system loads CommonJS, so
// they are compiled to it like our own code (Node itself, 20.19+, requires them as they are).
const esmOnly = ['openid-client', 'oauth4webapi', 'jose'];
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', swc],
    [`/node_modules/(${esmOnly.join('|')})/.+\\.js$`]: [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: [
    '<rootDir>/libs/testing/src/jest/setup-env.ts',
    '<rootDir>/libs/testing/src/jest/test-timeout.ts',
  ],
};
const services = '<rootDir>/libs/testing/src/jest/global-setup.ts';
// Per-project budgets for a busy 2-core machine (`npm test` beside other work), not a quiet one. The budget
// is also the default for hooks, so a `beforeAll` that boots the app or a process gets it too. A file or a
// test may still ask for more (`jest.setTimeout`, or a third argument). Jest ignores `testTimeout` inside
// `projects` (jestjs/jest#9696): libs/testing/src/jest/test-timeout.ts applies `globals.gatehouseTestTimeout`.
const timeouts = {
  unit: 15_000,
  // Engine against local servers, and the API, CLI and worker against a database of their own.
  integration: 60_000,
  // Whole processes (API, workers, Redis outages) and Chromium.
  e2e: 120_000,
  browser: 120_000,
};

module.exports = {
  // Integration suites wait on sockets, not CPU: two workers keep both cores busy on this machine.
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
  projects: [
    {
      ...base,
      displayName: 'unit',
      globals: { gatehouseTestTimeout: timeouts.unit },
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'],
    },
    {
      // Integration suites with no database (the evaluation engine against local HTTP servers): once.
      ...base,
      displayName: 'int',
      globals: { gatehouseTestTimeout: timeouts.integration },
      testMatch: ['<rootDir>/libs/evals/**/*.int-spec.ts', '<rootDir>/apps/cli/test/eval/**/*.int-spec.ts'],
    },
    {
      ...base,
      displayName: 'int-sqlite',
      globals: { gatehouseTestTimeout: timeouts.integration },
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
      globals: { gatehouseTestTimeout: timeouts.integration },
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
      // Pages in headless Chromium (Debian's, via playwright-core). A journey that starts the API in-process
      // (TestApi) uses SQLite: the driver setup pins the entities' column types to it, whatever DATABASE_URL
      // the other projects' global setup left in the environment.
      ...base,
      displayName: 'browser',
      globals: { gatehouseTestTimeout: timeouts.browser },
      testMatch: ['<rootDir>/{apps,libs}/**/*.browser-spec.ts'],
      setupFiles: [...base.setupFiles, '<rootDir>/libs/testing/src/jest/driver-sqlite.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      globals: { gatehouseTestTimeout: timeouts.e2e },
      testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts'],
      setupFiles: [...base.setupFiles, '<rootDir>/libs/testing/src/jest/driver-postgres.ts'],
      globalSetup: services,
    },
  ],
};
