#!/usr/bin/env node
'use strict';
// The `gatehouse` command (npx gatehouse …). Runs the compiled CLI from dist/, compiling first when any
// TypeScript source is newer than the last build, so a fresh clone or an edited tree just works.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');
const entry = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') newest = Math.max(newest, newestSource(full));
    } else if (entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(full).mtimeMs);
    }
  }
  return newest;
}

const stale =
  !existsSync(entry) ||
  !existsSync(stamp) ||
  Math.max(newestSource(join(root, 'apps')), newestSource(join(root, 'libs'))) > statSync(stamp).mtimeMs;
if (stale) {
  const build = spawnSync(process.execPath, [join(root, 'tools', 'build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(2);
}
require(entry)
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
