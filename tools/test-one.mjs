#!/usr/bin/env node
// `npm run test:one -- <file or part of a name>… [--driver sqlite|postgres] [-t <test name pattern>] [jest options]`
//
// Runs the named test files in the Jest projects that own them, worked out from the file names:
//   *.spec.ts → unit · *.browser-spec.ts → browser · *.e2e-spec.ts → e2e (PostgreSQL)
//   *.int-spec.ts under libs/evals/ or apps/cli/test/eval/ → int (no database)
//   any other *.int-spec.ts → int-sqlite and int-postgres, or the one `--driver` names.
// A name that is not a file is matched against the test files' paths (`runs.int-spec` finds
// apps/api/test/runs.int-spec.ts). Other options (-t, --verbose, …) go to Jest unchanged.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DRIVERS = ['sqlite', 'postgres'];
const VALUED = new Set(['-t', '--testNamePattern', '--reporters', '--seed', '--maxWorkers', '-w']);

function usage(message) {
  if (message) {
    console.error(`test:one: ${message}`);
  }
  console.error(
    'usage: npm run test:one -- <test file or part of its path>… [--driver sqlite|postgres] [-t <name pattern>] [jest options]',
  );
  process.exit(2);
}

/** The projects a test file runs in (jest.config.js's testMatch, by name). */
function projectsOf(file, driver) {
  const path = file.replaceAll('\\', '/');
  if (path.endsWith('.browser-spec.ts')) {
    return ['browser'];
  }
  if (path.endsWith('.e2e-spec.ts')) {
    if (driver === 'sqlite') {
      throw new Error(`${file} is an e2e test: it runs on PostgreSQL only`);
    }
    return ['e2e'];
  }
  if (path.endsWith('.int-spec.ts')) {
    if (/(^|\/)(libs\/evals|apps\/cli\/test\/eval)\//.test(path)) {
      return ['int'];
    }
    return driver ? [`int-${driver}`] : ['int-sqlite', 'int-postgres'];
  }
  if (path.endsWith('.spec.ts')) {
    return ['unit'];
  }
  throw new Error(`${file} is not a test file (*.spec.ts, *.int-spec.ts, *.e2e-spec.ts, *.browser-spec.ts)`);
}

function testFiles(dir = root, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || ['node_modules', 'dist', 'test-artifacts'].includes(entry.name)) {
      continue;
    }
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      testFiles(path, found);
    } else if (entry.name.endsWith('spec.ts')) {
      found.push(relative(root, path).replaceAll('\\', '/'));
    }
  }
  return found;
}

function parse(argv) {
  const names = [];
  const jestArgs = [];
  let driver;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--driver' || arg.startsWith('--driver=')) {
      driver = arg === '--driver' ? argv[++i] : arg.slice('--driver='.length);
      if (!DRIVERS.includes(driver)) {
        usage(`--driver is sqlite or postgres, not ${driver ?? 'nothing'}`);
      }
    } else if (arg === '-h' || arg === '--help') {
      usage();
    } else if (arg.startsWith('-')) {
      jestArgs.push(arg);
      if (VALUED.has(arg) && i + 1 < argv.length) {
        jestArgs.push(argv[++i]);
      }
    } else {
      names.push(arg);
    }
  }
  return { names, jestArgs, driver };
}

function main() {
  const { names, jestArgs, driver } = parse(process.argv.slice(2));
  if (names.length === 0) {
    usage('name a test file');
  }
  const all = testFiles();
  const files = new Set();
  for (const name of names) {
    const path = relative(root, resolve(process.cwd(), name)).replaceAll('\\', '/');
    // `runs.int-spec` means apps/api/test/runs.int-spec.ts, not web-runs.int-spec.ts as well.
    const atBoundary = all.filter((file) => `/${file}`.includes(`/${name}`));
    const matches = existsSync(join(root, path))
      ? [path]
      : atBoundary.length > 0
        ? atBoundary
        : all.filter((file) => file.includes(name));
    if (matches.length === 0) {
      usage(`no test file matches ${name}`);
    }
    matches.forEach((file) => files.add(file));
  }
  const projects = new Set();
  try {
    for (const file of files) {
      projectsOf(file, driver).forEach((project) => projects.add(project));
    }
  } catch (error) {
    usage(error.message);
  }
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const args = [
    '--selectProjects',
    ...projects,
    '--testPathPatterns',
    ...[...files].map((file) => `${escape(file)}$`),
    ...jestArgs,
  ];
  console.error(`test:one: jest ${args.map((arg) => (/[\s$\\*]/.test(arg) ? `'${arg}'` : arg)).join(' ')}`);
  const jest = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'jest.cmd' : 'jest');
  const result = spawnSync(jest, args, { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

main();
