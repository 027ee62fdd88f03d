// Records the replay cassettes shipped with the example suites, from the scripted responder and judge
// (not a real model; see README.md). Starts a local OpenAI-compatible server that answers as they do,
// points each suite's recordFrom target and judges at it through a temporary copy of the suite, and
// runs `gatehouse eval run --record`. The scripted responder stands in for the suite's own recordFrom
// and judges, so each cassette's meta line is then set to the hash of the shipped suite's configuration
// (what a replay checks). Run after changing the datasets or the suites:
//   node tools/examples/record-cassettes.mjs
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { judge } from './scripted-judge.mjs';
import { respond } from './scripted-responder.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
execFileSync(process.execPath, [join(root, 'tools/build.mjs')], { stdio: 'inherit' });
const { startOpenAiStub } = require(join(root, 'dist/libs/testing/src/openai-stub.js'));
const { parse, stringify } = require('yaml');
const { parseSuite, recordedConfigHash } = require(join(root, 'dist/libs/evals/src/index.js'));

/** Replaces a recorded cassette's meta line with the configuration the shipped suite names. */
function stampRecordedFrom(cassette, config) {
  const file = join(root, 'evals/cassettes', `${cassette}.jsonl`);
  const rows = readFileSync(file, 'utf8').split('\n');
  const meta = JSON.stringify({ gatehouseCassette: 1, recordedFrom: recordedConfigHash(config) });
  writeFileSync(
    file,
    [meta, ...rows.filter((row, i) => !(i === 0 && row.startsWith('{"gatehouseCassette"')))].join('\n'),
  );
}

const SUITES = {
  'benefits-triage': 'benefits-enquiries',
  'govuk-answers': 'govuk-answers',
  'safety-refusals': 'safety-prompts',
};

const stub = await startOpenAiStub({
  respond: (body) => {
    if (body.messages[0]?.content.includes('impartial assessor')) {
      return judge(body.model, body.messages);
    }
    return respond(body.model.replace(/^scripted:/, ''), body.messages);
  },
});
const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-record-'));
try {
  for (const [suite, dataset] of Object.entries(SUITES)) {
    const definition = parse(readFileSync(join(root, 'evals/suites', `${suite}.yaml`), 'utf8'));
    definition.target.recordFrom = {
      ...definition.target.recordFrom,
      model: `scripted:${dataset}`,
      baseUrl: stub.url,
    };
    for (const scorer of definition.scorers) {
      if (scorer.type === 'rubric_judge') {
        scorer.panel = scorer.panel?.map((j) => ({ ...j, baseUrl: stub.url }));
        scorer.judge = scorer.judge && { ...scorer.judge, baseUrl: stub.url };
      }
    }
    const file = join(scratch, `${suite}.yaml`);
    writeFileSync(file, stringify(definition));
    for (const cassette of [`${suite}.jsonl`]) {
      rmSync(join(root, 'evals/cassettes', cassette), { force: true });
    }
    console.log(`\n== recording ${suite}`);
    // Asynchronous: the scripted model answers from this process's event loop.
    const child = spawn(
      process.execPath,
      [
        join(root, 'bin/gatehouse.js'),
        'eval',
        'run',
        file,
        '--record',
        '--evals-dir',
        join(root, 'evals'),
        '--no-progress',
      ],
      {
        stdio: 'inherit',
        env: { ...process.env, OPENAI_API_KEY: 'scripted' },
      },
    );
    const code = await new Promise((resolve) => child.once('exit', resolve));
    if (code !== 0 && code !== 1) {
      throw new Error(`recording ${suite} failed with exit code ${code}`); // 1 only means thresholds failed
    }
    const shipped = parseSuite(
      readFileSync(join(root, 'evals/suites', `${suite}.yaml`), 'utf8'),
      suite,
    ).definition;
    stampRecordedFrom(suite, shipped.target.recordFrom);
    for (const scorer of shipped.scorers) {
      if (scorer.type === 'rubric_judge') {
        (scorer.panel ?? [scorer.judge]).forEach((judgeConfig, i) =>
          stampRecordedFrom(`${suite}.${scorer.name ?? scorer.type}.judge${i + 1}`, judgeConfig),
        );
      }
    }
  }
} finally {
  await stub.close();
  rmSync(scratch, { recursive: true, force: true });
}
