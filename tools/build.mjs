#!/usr/bin/env node
// Compiles the TypeScript of apps/, libs/ and bench/ into dist/ with SWC (decorator metadata on, the
// @gatehouse/* path aliases rewritten to relative paths). Incremental: a file is recompiled only when
// its source is newer than its output, so `npm start` after `npm ci` costs a second, then nothing.
import { transformFile } from '@swc/core';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = join(root, 'dist');
const sourceDirs = ['apps', 'libs', 'bench'];
const isTest = (f) => /\.(spec|int-spec|e2e-spec|browser-spec)\.ts$/.test(f) || f.includes('/test/');
const assetPattern = /\.(njk|json|html|css|mjs|svg|png|woff2?)$/; // mjs: the pages' browser script

const tsconfig = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));
const swcOptions = (filename) => ({
  filename,
  sourceMaps: true,
  swcrc: false,
  configFile: false,
  module: { type: 'commonjs', strictMode: true },
  jsc: {
    target: 'es2022',
    baseUrl: root,
    paths: tsconfig.compilerOptions.paths,
    keepClassNames: true,
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
});

async function* walk(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* walk(full);
    } else yield full;
  }
}

const mtime = async (f) => (await stat(f).catch(() => null))?.mtimeMs ?? -1;
const started = Date.now();
let compiled = 0;
const expected = new Set();
const failures = [];
const jobs = [];
for (const dir of sourceDirs) {
  for await (const file of walk(join(root, dir))) {
    const rel = relative(root, file);
    if (file.endsWith('.d.ts') || isTest(rel)) continue;
    if (file.endsWith('.ts')) {
      const out = join(outRoot, rel.replace(/\.ts$/, '.js'));
      expected.add(out).add(`${out}.map`);
      jobs.push(
        (async () => {
          if ((await mtime(out)) >= (await mtime(file))) return;
          try {
            const result = await transformFile(file, swcOptions(file));
            await mkdir(dirname(out), { recursive: true });
            const mapName = `${out.split('/').pop()}.map`;
            await writeFile(out, `${result.code}\n//# sourceMappingURL=${mapName}\n`);
            if (result.map) await writeFile(`${out}.map`, result.map);
            compiled += 1;
          } catch (error) {
            failures.push(
              `${rel}: ${String(error.message ?? error)
                .split('\n')
                .slice(0, 14)
                .join('\n')}`,
            );
          }
        })(),
      );
    } else if (assetPattern.test(file) && !file.endsWith('project.json')) {
      const out = join(outRoot, rel);
      expected.add(out);
      jobs.push(
        (async () => {
          if ((await mtime(out)) >= (await mtime(file))) return;
          await mkdir(dirname(out), { recursive: true });
          await copyFile(file, out);
        })(),
      );
    }
  }
}
await Promise.all(jobs);
// Outputs whose source was deleted would otherwise still be loadable: remove them.
for (const dir of sourceDirs) {
  for await (const file of walk(join(outRoot, dir))) {
    if (!expected.has(file)) await rm(file);
  }
}
if (failures.length > 0) {
  console.error(`build failed:\n${failures.join('\n')}`);
  process.exit(1);
}
await mkdir(outRoot, { recursive: true });
await writeFile(join(outRoot, '.build-stamp'), new Date().toISOString());
if (compiled > 0 && !process.env.GATEHOUSE_QUIET_BUILD) {
  console.error(`gatehouse: compiled ${compiled} file(s) in ${Date.now() - started} ms`);
}
