import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

const refused: [file: string, code: string, message: RegExp][] = [
  ['libs/domain/src/probe.ts', "import { DataSource } from 'typeorm';", /not allowed to import "typeorm"/],
  [
    'libs/domain/src/probe.ts',
    "import { Injectable } from '@nestjs/common';",
    /not allowed to import "@nestjs\/common"/,
  ],
  ['libs/domain/src/probe.ts', "import Redis from 'ioredis';", /not allowed to import "ioredis"/],
  [
    'libs/domain/src/probe.ts',
    "import { loadConfig } from '@gatehouse/config';",
    /can only depend on libs tagged with "type:domain"/,
  ],
  ['libs/evals/src/probe.ts', "import { Queue } from 'bullmq';", /not allowed to import "bullmq"/],
  [
    'libs/persistence/src/probe.ts',
    "import { createQueueConnection } from '@gatehouse/queue';",
    /can only depend on libs tagged/,
  ],
  [
    'libs/application/src/probe.ts',
    "import { describeIntegration } from '@gatehouse/testing';",
    /can only depend on libs tagged/,
  ],
  // Statements belong in libs/persistence repositories (#12), in the services and their tests alike.
  ['libs/application/src/probe.ts', "import { In } from 'typeorm';", /not allowed to import "typeorm"/],
  [
    'libs/application/src/probe.int-spec.ts',
    "import { type DataSource } from 'typeorm';",
    /not allowed to import "typeorm"/,
  ],
  [
    'libs/application/src/probe.ts',
    "import { managerOf } from '@gatehouse/persistence';",
    /Query through a repository in libs\/persistence/,
  ],
];
const allowed: [file: string, code: string][] = [
  ['libs/persistence/src/probe.ts', "import { DataSource } from 'typeorm';"],
  ['libs/domain/src/probe.spec.ts', "import { createTestDatabase } from '@gatehouse/testing';"],
  ['libs/application/src/probe.int-spec.ts', "import { managerOf } from '@gatehouse/persistence';"],
];

/**
 * The layering rules only protect us if the lint rule really runs: without a project graph Nx skips it
 * with a warning, and a package missing from the graph is never banned. This lints probe sources placed
 * in each lib and expects every violation to be caught and the legitimate imports to pass.
 */
describe('module boundaries', () => {
  let messages: string[][];

  beforeAll(async () => {
    // Builds the project graph the rule reads (in a process of its own: Nx may start plugin workers).
    execFileSync(process.execPath, [require.resolve('nx/bin/nx.js'), 'show', 'projects'], {
      cwd: root,
      stdio: 'ignore',
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    const probes = [...refused, ...allowed].map(([file, code]) => ({ file: join(root, file), code }));
    messages = JSON.parse(
      execFileSync(process.execPath, [join(root, 'tools/lint-probe.mjs')], {
        cwd: root,
        input: JSON.stringify(probes),
        encoding: 'utf8',
      }),
    );
  }, 120_000);

  it.each(refused.map((probe, index) => [...probe, index] as const))(
    '%s: %s is refused',
    (_file, _code, message, index) => {
      expect(messages[index]).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    },
  );

  it.each(allowed.map((probe, index) => [...probe, refused.length + index] as const))(
    '%s: %s is allowed',
    (_f, _c, index) => {
      expect(messages[index]).toEqual([]);
    },
  );
});
