/**
 * `npm run bench:reviews`: what the pure parts of human review cost (issue 14): drawing a stratified sample
 * from a large run, and the agreement statistics (kappa, alpha and their bootstraps, the design-weighted
 * corrected failure rate) that every read of a sample and every gate with review rules computes. Prints
 * figures; asserts nothing. Sizes: `--population`, `--size`, `--reviewers`, `--metrics`, `--repeat`
 * (or BENCH_* env), see `--help`.
 */
import {
  drawReviewSample,
  type ReviewedItem,
  reviewStatistics,
  type SampleCandidate,
  seededRandom,
} from '@gatehouse/domain';
import { fixed, helpAsked, percentiles, readOptions, table, usageText } from './bench-kit';

const SPEC = {
  population: { env: 'BENCH_POPULATION', help: 'reviewable results in the run', fallback: '100000' },
  size: { env: 'BENCH_SIZE', help: 'items drawn (at most 2,000)', fallback: '2000' },
  reviewers: { env: 'BENCH_REVIEWERS', help: 'reviewers per item', fallback: '3' },
  metrics: { env: 'BENCH_METRICS', help: 'metrics (scorers) per item', fallback: '5' },
  repeat: { env: 'BENCH_REPEAT', help: 'timed repetitions of each step', fallback: '10' },
};
const usage = () => usageText(SPEC, 'bench:reviews', 'npm run bench:reviews -- --repeat 2');

function main(): void {
  if (helpAsked(process.argv)) {
    process.stdout.write(usage());
    return;
  }
  const options = readOptions(process.argv.slice(2), SPEC, usage);
  const population = options.int('population', 1);
  const size = options.int('size', 1);
  const reviewers = options.int('reviewers', 1);
  const metricCount = options.int('metrics', 1);
  const repeat = options.int('repeat', 1);
  const rng = seededRandom(7);
  const bands = ['16-24', '25-44', '45-64', '65+'];

  const candidates: SampleCandidate[] = Array.from({ length: population }, (_, i) => ({
    itemId: `q-${i + 1}`,
    epoch: 1,
    failed: rng.nextInt(10) === 0,
    judged: true,
    groups: { age_band: bands[rng.nextInt(bands.length)] },
  }));
  const design = { size, seed: 42, groupKey: 'age_band', failureWeight: 3, judgedWeight: 1 };

  const drawMs: number[] = [];
  let drawn = drawReviewSample(candidates, design);
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    drawn = drawReviewSample(candidates, design);
    drawMs.push(performance.now() - started);
  }

  const metrics = Array.from({ length: metricCount }, (_, m) => ({
    name: `metric_${m + 1}`,
    scorer: m === 0 ? 'rubric_judge' : 'equals',
    judge: m === 0,
  }));
  const items: ReviewedItem[] = drawn.items.map((item) => {
    const readings = Object.fromEntries(
      metrics.map((metric) => {
        const passed = rng.nextInt(5) !== 0;
        return [metric.name, { passed, value: passed ? 1 : 0 }];
      }),
    );
    return {
      position: item.position,
      stratum: item.stratum,
      readings,
      reviews: Array.from({ length: reviewers }, (_, r) => ({
        reviewer: `reviewer-${r + 1}`,
        independent: true,
        verdicts: Object.fromEntries(metrics.map((metric) => [metric.name, { agree: rng.nextInt(8) !== 0 }])),
      })),
    };
  });
  const statisticsMs: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    reviewStatistics({ strata: drawn.strata, items, metrics, seed: 42, independentOnly: true });
    statisticsMs.push(performance.now() - started);
  }

  const out = table(['step', 'what', 'p50 ms', 'p90 ms', 'max ms']);
  const row = (step: string, what: string, values: number[]) => {
    const p = percentiles(values);
    out.push([step, what, fixed(p.p50, 1), fixed(p.p90, 1), fixed(p.max, 1)]);
  };
  row(
    'draw',
    `${drawn.items.length} of ${population} results, ${drawn.strata.length} strata (verdict × age band)`,
    drawMs,
  );
  row(
    'statistics',
    `${items.length} items × ${reviewers} reviewers × ${metricCount} metrics, 2,000 resamples`,
    statisticsMs,
  );
  process.stdout.write(
    `Review samples and statistics (pure domain code), ${repeat} repetitions each, Node ${process.version}\n`,
  );
  process.stdout.write(`${out.toString()}\n`);
}

main();
