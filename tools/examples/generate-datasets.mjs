#!/usr/bin/env node
// Writes the three example datasets as JSONL (one item a line) into tools/examples/data/.
// Deterministic: the items come from example-items.mjs, built from templates with a seeded PRNG, so
// running this again produces byte-identical files.
//
//   node tools/examples/generate-datasets.mjs [--out DIR]

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll, DATASETS, toRecord } from './example-items.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const outFlag = process.argv.indexOf('--out');
const outDir =
  outFlag > 0 && process.argv[outFlag + 1] ? resolve(process.argv[outFlag + 1]) : join(here, 'data');

mkdirSync(outDir, { recursive: true });
const all = buildAll();
for (const name of DATASETS) {
  const items = all[name];
  const ids = new Set(items.map((i) => i.id));
  if (ids.size !== items.length) {
    throw new Error(`${name}: duplicate ids`);
  }
  const text = items.map((item) => JSON.stringify(toRecord(item))).join('\n') + '\n';
  const file = join(outDir, `${name}.jsonl`);
  writeFileSync(file, text);
  const sha = createHash('sha256').update(text).digest('hex');
  console.log(`${relative(process.cwd(), file)}  ${items.length} items  sha256 ${sha.slice(0, 16)}…`);
}
