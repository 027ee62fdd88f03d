import nx from '@nx/eslint-plugin';
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

const frameworkAndIo = [
  '@nestjs/*',
  'typeorm',
  'pg',
  'better-sqlite3',
  'bullmq',
  'ioredis',
  'openai',
  'langchain',
  '@langchain/*',
  'express',
  'nestjs-pino',
  'pino*',
  'prom-client',
];

const layers = {
  // The domain is pure: it knows nothing of frameworks, storage, queues or model SDKs.
  'type:domain': {
    deps: ['type:domain'],
    banned: [...frameworkAndIo, 'zod', 'yaml', 'axios', 'node-fetch', 'undici'],
  },
  'type:config': { deps: [], banned: frameworkAndIo.filter((p) => p !== '@nestjs/*') },
  // The evaluation engine runs in the CLI without Nest or a database.
  'type:evals': {
    deps: ['type:domain'],
    banned: ['@nestjs/*', 'typeorm', 'pg', 'better-sqlite3', 'bullmq', 'ioredis'],
  },
  'type:persistence': {
    deps: ['type:domain', 'type:config'],
    banned: ['bullmq', 'ioredis', 'openai', 'langchain', '@langchain/*'],
  },
  'type:queue': {
    deps: ['type:domain', 'type:config'],
    banned: ['typeorm', 'pg', 'better-sqlite3', 'openai', 'langchain', '@langchain/*'],
  },
  // Services pass a transaction handle to repositories; every statement lives in libs/persistence.
  'type:application': {
    deps: ['type:domain', 'type:config', 'type:persistence', 'type:queue', 'type:evals'],
    banned: ['typeorm'],
  },
  'type:testing': {
    deps: ['type:domain', 'type:config', 'type:persistence', 'type:queue', 'type:evals', 'type:application'],
    banned: [],
  },
  'type:app': {
    deps: ['type:domain', 'type:config', 'type:persistence', 'type:queue', 'type:evals', 'type:application'],
    banned: [],
  },
};

/** Production code keeps to its layer; test code may also use the testing lib. */
const layerConstraints = (forTests) =>
  Object.entries(layers).map(([sourceTag, { deps, banned }]) => ({
    sourceTag,
    onlyDependOnLibsWithTags: forTests ? [...new Set([...deps, 'type:testing'])] : deps,
    bannedExternalImports: banned,
  }));

const boundaries = (forTests) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    // The testing lib serves every project's tests, so tests importing it are not a real cycle.
    ignoredCircularDependencies: ['application', 'config', 'domain', 'evals', 'persistence', 'queue'].map(
      (p) => ['testing', p],
    ),
    // The Jest global setup loads the persistence lib late, once it has chosen the driver.
    checkDynamicDependenciesExceptions: ['persistence', 'config'],
    depConstraints: layerConstraints(forTests),
  },
];

const testFiles = [
  '**/*.spec.ts',
  '**/*.int-spec.ts',
  '**/*.e2e-spec.ts',
  '**/*.browser-spec.ts',
  '**/test/**/*.ts',
  'bench/**/*.ts',
];

export default [
  {
    ignores: [
      '**/dist',
      '**/node_modules',
      '**/.nx',
      'coverage',
      'test-artifacts',
      'evals/**',
      'tools/**/*.mjs',
      'bin/**',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['../../*'], message: 'Import across features through a @gatehouse/* alias.' }],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through @gatehouse/config.' },
      ],
    },
  },
  {
    // Only the config lib reads the environment; tests and tooling set it up.
    files: [
      'libs/config/src/**/*.ts',
      '**/*.spec.ts',
      '**/*.int-spec.ts',
      '**/*.e2e-spec.ts',
      '**/*.browser-spec.ts',
      '**/test/support/**/*.ts',
      'libs/testing/**/*.ts',
      'bench/**/*.ts',
      'tools/**/*.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Test code may use the testing lib; production code may not.
    files: ['**/*.ts'],
    ignores: [
      '**/*.spec.ts',
      '**/*.int-spec.ts',
      '**/*.e2e-spec.ts',
      '**/*.browser-spec.ts',
      '**/test/**',
      'libs/testing/**',
      'bench/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@gatehouse/testing', message: 'The testing lib is for tests and benchmarks only.' },
          ],
          patterns: [{ group: ['../../*'], message: 'Import across features through a @gatehouse/* alias.' }],
        },
      ],
    },
  },
  {
    // A feature's subfolder (runs/execution/) reaches the lib's other features at ../../: there only
    // leaving src is barred.
    files: ['libs/*/src/*/*/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@gatehouse/testing', message: 'The testing lib is for tests and benchmarks only.' },
          ],
          patterns: [
            { group: ['../../../*'], message: 'Import across features through a @gatehouse/* alias.' },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/*/src/*/*/**/*.spec.ts', 'libs/*/src/*/*/**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../../*'], message: 'Import across features through a @gatehouse/* alias.' },
          ],
        },
      ],
    },
  },
  {
    // An app's feature subfolder (live/admin/) reaches the app's other features at ../../, as in the libs:
    // there only leaving src is barred.
    files: ['apps/*/src/*/*/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@gatehouse/testing', message: 'The testing lib is for tests and benchmarks only.' },
          ],
          patterns: [
            { group: ['../../../*'], message: 'Import across features through a @gatehouse/* alias.' },
          ],
        },
      ],
    },
  },
  {
    // A service hands its transaction to repositories; only libs/persistence (and tests that store rows
    // directly) unwrap it into TypeORM's manager (#12).
    files: ['libs/application/src/**/*.ts', 'apps/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='@gatehouse/persistence'] ImportSpecifier[imported.name=/^(managerOf|readWith|writeWith)$/]",
          message: 'Query through a repository in libs/persistence; services only pass the Tx on.',
        },
      ],
    },
  },
  { files: testFiles, rules: { '@nx/enforce-module-boundaries': boundaries(true) } },
  // An app's own tests drive the app's sources from apps/<app>/test.
  { files: ['apps/*/test/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/*.browser-spec.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/expect-expect': [
        'error',
        { assertFunctionNames: ['expect', 'expect*', 'request.**.expect', '**.expect'] },
      ],
    },
  },
  ...tseslint.config({ files: ['**/*.js', '**/*.cjs'], extends: [tseslint.configs.disableTypeChecked] }),
];
