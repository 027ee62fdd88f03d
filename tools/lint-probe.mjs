#!/usr/bin/env node
// Lints source texts as if they were the given files, with only the layering rules (module boundaries,
// and the ban on unwrapping a Tx outside libs/persistence). Reads
// [{file, code}] as JSON on stdin and prints the messages of each as JSON. Used by
// tools/module-boundaries.spec.ts (ESLint's config loader needs real ESM, which Jest does not give).
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';

const probes = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === '@nx/enforce-module-boundaries' || ruleId === 'no-restricted-syntax',
});
const results = [];
for (const { file, code } of probes) {
  const [result] = await eslint.lintText(code, { filePath: file });
  results.push(result.messages.map((m) => m.message));
}
process.stdout.write(JSON.stringify(results));
