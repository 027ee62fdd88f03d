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
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // The domain is pure: it knows nothing of frameworks, storage, queues or model SDKs.
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain'],
              bannedExternalImports: [...frameworkAndIo, 'zod', 'yaml', 'axios', 'node-fetch', 'undici'],
            },
            {
              sourceTag: 'type:config',
              onlyDependOnLibsWithTags: [],
              bannedExternalImports: frameworkAndIo.filter((p) => p !== '@nestjs/*'),
            },
            // The evaluation engine runs in the CLI without Nest or a database.
            {
              sourceTag: 'type:evals',
              onlyDependOnLibsWithTags: ['type:domain'],
              bannedExternalImports: ['@nestjs/*', 'typeorm', 'pg', 'better-sqlite3', 'bullmq', 'ioredis'],
            },
            {
              sourceTag: 'type:persistence',
              onlyDependOnLibsWithTags: ['type:domain', 'type:config'],
              bannedExternalImports: ['bullmq', 'ioredis', 'openai', 'langchain', '@langchain/*'],
            },
            {
              sourceTag: 'type:queue',
              onlyDependOnLibsWithTags: ['type:domain', 'type:config'],
              bannedExternalImports: [
                'typeorm',
                'pg',
                'better-sqlite3',
                'openai',
                'langchain',
                '@langchain/*',
              ],
            },
            {
              sourceTag: 'type:application',
              onlyDependOnLibsWithTags: [
                'type:domain',
                'type:config',
                'type:persistence',
                'type:queue',
                'type:evals',
              ],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: [
                'type:domain',
                'type:config',
                'type:persistence',
                'type:queue',
                'type:evals',
                'type:application',
              ],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:domain',
                'type:config',
                'type:persistence',
                'type:queue',
                'type:evals',
                'type:application',
                'type:testing',
              ],
            },
          ],
        },
      ],
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
      curly: ['error', 'multi-line'],
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
