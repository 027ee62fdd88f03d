import {
  bootstrapMeanInterval,
  type ErrorKindSummary,
  classificationReport,
  type EpochReducer,
  exactUpperBound,
  groupBreakdown,
  krippendorffAlphaNominal,
  mean,
  type MetricSummary,
  percentiles,
  redactSecretText,
  reduceEpochs,
  type RunSummary,
  wilsonInterval,
} from '@gatehouse/domain';
import { type DatasetItem } from '../datasets/dataset-item';
import { type FailureExample } from '../reports/run-report';
import { type Scorer } from '../scorers/scorer';
import { NumberColumn, StringTable } from './columns';
import { type ItemRecord } from './item-record';

export interface AggregationPlan {
  scorers: Pick<Scorer, 'name' | 'type' | 'kind' | 'guardrail' | 'labels' | 'weight'>[];
  epochs: number;
  reducer: EpochReducer;
  groupBy: string[];
  minGroupSize: number;
  seed: number;
  /** Failure examples kept per metric. */
  examplesPerMetric?: number;
}

/**
 * One metric's reduced verdicts, one row per scored item, stored by column (typed arrays and string
 * tables) so a 100,000-item run keeps a few megabytes per metric instead of an object per item.
 */
interface MetricState {
  /** The item's position in the dataset, to put rows back in dataset order. */
  order: NumberColumn;
  values: NumberColumn;
  /** 1 passed, 0 failed. */
  passed: NumberColumn;
  labels: NumberColumn;
  expectedLabels: NumberColumn;
  labelTable: StringTable;
  /** Per groupBy key: the row's group (an index into groupTables), -1 when the item has none. */
  groups: NumberColumn[];
  /** Judge panels' ratings, only for rows that have them. */
  ratings: (number | null)[][];
  unscored: number;
  errored: number;
  examples: FailureExample[];
}

/** Distinct messages counted per error kind (later new ones are not counted), and their longest shown form. */
const MESSAGES_PER_KIND = 100;
const MESSAGE_LENGTH = 300;

/**
 * Folds item records into a RunSummary. Records may arrive in any order; an item's epochs are reduced once
 * all have arrived (the suite's reducer, `mean` by default). Memory holds one small entry per item and
 * metric plus a few failure examples, so 100,000 items aggregate in a few tens of megabytes.
 */
export class RunAggregator {
  private readonly pending = new Map<string, ItemRecord[]>();
  private readonly metrics = new Map<string, MetricState>();
  private readonly latencies = new NumberColumn();
  private readonly durations = new NumberColumn();
  private readonly groupTables: StringTable[];
  private total = 0;
  private arrivals = 0;
  private erroredItems = 0;
  private scoredItems = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private cost = 0;
  private costKnown = false;
  private retries = 0;
  private records = 0;
  private readonly errorsByKind: Record<string, number> = {};
  /** Per error kind, how often each message was seen (at most MESSAGES_PER_KIND distinct ones). */
  private readonly messagesByKind = new Map<string, Map<string, number>>();
  private readonly retriesByKind: Record<string, number> = {};
  private rateLimitPauses = 0;
  private rateLimitWaitMs = 0;

  constructor(private readonly plan: AggregationPlan) {
    this.groupTables = plan.groupBy.map(() => new StringTable());
    for (const scorer of plan.scorers) {
      this.metrics.set(scorer.name, {
        order: new NumberColumn(),
        values: new NumberColumn(),
        passed: new NumberColumn(),
        labels: new NumberColumn(),
        expectedLabels: new NumberColumn(),
        labelTable: new StringTable(),
        groups: plan.groupBy.map(() => new NumberColumn()),
        ratings: [],
        unscored: 0,
        errored: 0,
        examples: [],
      });
    }
  }

  /**
   * `item` is used for failure examples (input, expected). `sequence` is the item's position in the
   * dataset: statistics are computed in that order, so seeded intervals do not depend on which item
   * happened to finish first.
   */
  add(record: ItemRecord, item?: DatasetItem, sequence?: number): void {
    if (record.latencyMs !== null) {
      this.latencies.push(record.latencyMs);
    }
    this.durations.push(record.durationMs);
    this.retries += Math.max(0, record.attempts - 1);
    this.inputTokens += record.inputTokens ?? 0;
    this.outputTokens += record.outputTokens ?? 0;
    if (record.costUsd !== null) {
      this.cost += record.costUsd;
      this.costKnown = true;
    }
    this.records += 1;
    if (record.error) {
      const { kind } = record.error;
      // Redacted before counting: messages that differ only by a key or token count as one.
      const message = redactSecretText(record.error.message);
      this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
      const messages = this.messagesByKind.get(kind) ?? new Map<string, number>();
      this.messagesByKind.set(kind, messages);
      if (messages.has(message) || messages.size < MESSAGES_PER_KIND) {
        messages.set(message, (messages.get(message) ?? 0) + 1);
      }
    }
    for (const [kind, n] of Object.entries(record.retries?.byKind ?? {})) {
      this.retriesByKind[kind] = (this.retriesByKind[kind] ?? 0) + (n ?? 0);
    }
    this.rateLimitPauses += record.retries?.byKind.rate_limited ?? 0;
    this.rateLimitWaitMs += record.retries?.rateLimitWaitMs ?? 0;
    const order = sequence ?? this.arrivals++;
    if (this.plan.epochs === 1) {
      this.complete([record], item, order);
      return;
    }
    const epochs = this.pending.get(record.itemId) ?? [];
    epochs.push(record);
    if (epochs.length === this.plan.epochs) {
      this.pending.delete(record.itemId);
      this.complete(epochs, item, order);
    } else {
      this.pending.set(record.itemId, epochs);
    }
  }

  private complete(epochs: ItemRecord[], item: DatasetItem | undefined, order: number): void {
    this.total += 1;
    const first = epochs[0];
    const scored = epochs.filter((r) => r.status === 'scored');
    if (scored.length === 0) {
      this.erroredItems += 1;
    } else {
      this.scoredItems += 1;
    }
    for (const scorer of this.plan.scorers) {
      const state = this.metrics.get(scorer.name) as MetricState;
      const scores = scored.map((r) => r.scores[scorer.name]).filter((s) => s !== undefined);
      if (scored.length === 0) {
        // Errored items count against every metric that would have applied; with no record of which
        // applied, an errored item is counted for each metric.
        state.errored += 1;
        continue;
      }
      if (scores.length === 0) {
        continue; // not applicable to this item
      }
      const graded = scores.filter((s) => s.passed !== null);
      if (graded.length === 0) {
        state.unscored += 1;
        continue;
      }
      const { value, passed } = reduceItem(scorer.kind, graded, this.plan.reducer);
      const labelled = graded.find((s) => s.label !== undefined);
      state.order.push(order);
      state.values.push(value);
      state.passed.push(passed ? 1 : 0);
      state.labels.push(state.labelTable.index(labelled?.label));
      state.expectedLabels.push(state.labelTable.index(labelled?.expectedLabel));
      this.plan.groupBy.forEach((key, k) =>
        state.groups[k].push(this.groupTables[k].index(first.groups[key])),
      );
      if (graded[0].ratings && graded[0].ratings.length > 1) {
        state.ratings.push(graded[0].ratings);
      }
      const failing = graded.find((s) => s.passed === false);
      if (failing && item && state.examples.length < (this.plan.examplesPerMetric ?? 25)) {
        const record = scored.find((r) => r.scores[scorer.name] === failing) ?? scored[0];
        state.examples.push({
          itemId: record.itemId,
          epoch: record.epoch,
          metric: scorer.name,
          input:
            typeof item.input === 'string'
              ? item.input
              : item.input.map((m) => `${m.role}: ${m.content}`).join('\n'),
          output: record.output,
          expected:
            item.expected === undefined
              ? null
              : typeof item.expected === 'string'
                ? item.expected
                : JSON.stringify(item.expected),
          explanation: failing.explanation ?? null,
          group: record.groups,
        });
      }
    }
  }

  get itemsCompleted(): number {
    return this.total;
  }

  failures(): FailureExample[] {
    return [...this.metrics.values()].flatMap((m) => m.examples);
  }

  summary(): RunSummary {
    const metrics = this.plan.scorers.map((scorer) =>
      this.metricSummary(scorer, this.metrics.get(scorer.name) as MetricState),
    );
    return {
      items: {
        total: this.total,
        scored: this.scoredItems,
        errored: this.erroredItems,
        epochs: this.plan.epochs,
      },
      metrics,
      weightedScore: weightedScore(this.plan.scorers, metrics),
      operational: {
        providerLatencyMs: percentiles(this.latencies.toArray()),
        itemDurationMs: percentiles(this.durations.toArray()),
        inputTokens: this.inputTokens,
        outputTokens: this.outputTokens,
        costUsd: this.costKnown ? roundTo(this.cost, 6) : null,
        retries: this.retries,
        errorsByKind: { ...this.errorsByKind },
        errors: this.errorSummaries(),
        retriesByKind: { ...this.retriesByKind },
        rateLimit: { pauses: this.rateLimitPauses, pauseSeconds: roundTo(this.rateLimitWaitMs / 1000, 3) },
      },
    };
  }

  /** Per kind, most frequent first: the count, its share of records and the most common message, redacted. */
  private errorSummaries(): ErrorKindSummary[] {
    return Object.entries(this.errorsByKind)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([kind, count]) => {
        let message = '';
        let seen = 0;
        for (const [text, n] of this.messagesByKind.get(kind) ?? []) {
          if (n > seen) {
            message = text;
            seen = n;
          }
        }
        return {
          kind,
          count,
          share: this.records === 0 ? 0 : roundTo(count / this.records, 4),
          message: shorten(message, MESSAGE_LENGTH),
        };
      });
  }

  private metricSummary(scorer: AggregationPlan['scorers'][number], state: MetricState): MetricSummary {
    const n = state.values.length;
    // Rows in dataset order: row r of every computation below is state row rows[r].
    const rows = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => state.order.get(a) - state.order.get(b),
    );
    let passedCount = 0;
    for (let i = 0; i < n; i++) {
      passedCount += state.passed.get(i);
    }
    const failedCount = n - passedCount;
    const seed = this.plan.seed;
    // Guardrails report how often they fail: the failure rate and its exact one-sided upper bound.
    const guardrail = scorer.guardrail;
    // observations[i] belongs to state row rows[i]: dataset order, whatever the order of arrival.
    const observations = rows.map((row) => (guardrail ? 1 - state.passed.get(row) : state.values.get(row)));
    const binary =
      guardrail || (scorer.kind === 'pass_rate' && observations.every((v) => v === 0 || v === 1));
    let value: number | null = null;
    let interval: MetricSummary['interval'] = null;
    if (n > 0) {
      if (binary) {
        const successes = observations.filter((v) => v === 1).length;
        value = successes / n;
        interval = wilsonInterval(successes, n);
      } else {
        value = mean(observations);
        interval = bootstrapMeanInterval(observations, { seed });
      }
    }
    const groups = this.plan.groupBy.map((key, k) => {
      const column = state.groups[k];
      const table = this.groupTables[k];
      const byGroup: { group: string; value: number }[] = [];
      rows.forEach((row, i) => {
        const group = table.value(column.get(row));
        if (group !== null) {
          byGroup.push({ group, value: observations[i] });
        }
      });
      return groupBreakdown(key, byGroup, { binary, minGroupSize: this.plan.minGroupSize, seed });
    });
    const classified: { expected: string; predicted: string | null }[] = [];
    if (scorer.type === 'classification') {
      for (const row of rows) {
        const expected = state.labelTable.value(state.expectedLabels.get(row));
        if (expected !== null) {
          classified.push({ expected, predicted: state.labelTable.value(state.labels.get(row)) });
        }
      }
    }
    return {
      name: scorer.name,
      scorer: scorer.type,
      kind: guardrail ? 'failure_rate' : binary ? 'pass_rate' : 'mean',
      guardrail,
      value,
      interval,
      upper95: guardrail && n > 0 ? exactUpperBound(failedCount, n) : null,
      n,
      passed: passedCount,
      failed: failedCount,
      unscored: state.unscored,
      errored: state.errored,
      groups: groups.filter((g) => g.groups.length > 0),
      classification:
        scorer.type === 'classification' ? classificationReport(classified, scorer.labels) : null,
      agreement:
        state.ratings.length > 0
          ? {
              alpha: krippendorffAlphaNominal(
                state.ratings.map((r) => r.map((x) => (x === null ? null : String(x)))),
              ),
              judges: state.ratings[0].length,
            }
          : null,
    };
  }
}

function weightedScore(scorers: AggregationPlan['scorers'], metrics: MetricSummary[]): number | null {
  let total = 0;
  let weights = 0;
  metrics.forEach((metric, i) => {
    const weight = scorers[i].weight;
    if (!metric.guardrail && metric.value !== null && weight > 0) {
      total += metric.value * weight;
      weights += weight;
    }
  });
  return weights === 0 ? null : total / weights;
}

/**
 * One item's verdict over its epochs. Pass/fail scorers reduce their 1/0 results with the suite's reducer
 * (mean gives the share of epochs passed; all, majority, max and min give 1/0; pass_at_k the estimate);
 * graded scorers average their values. The item passes when the reduced result is at least one half.
 */
function reduceItem(
  kind: Scorer['kind'],
  graded: { value: number | null; passed: boolean | null }[],
  reducer: EpochReducer,
) {
  if (graded.length === 1) {
    return { value: graded[0].value as number, passed: graded[0].passed as boolean };
  }
  const passes = graded.map((s) => (s.passed ? 1 : 0));
  if (kind === 'pass_rate') {
    // Errored or unscored epochs leave fewer graded ones: pass@k then uses the k it can.
    const atK = /^pass_at_(\d+)$/.exec(reducer);
    const effective =
      atK && Number(atK[1]) > passes.length ? (`pass_at_${passes.length}` as EpochReducer) : reducer;
    const value = reduceEpochs(passes, effective);
    return { value, passed: value >= 0.5 };
  }
  return {
    value: mean(graded.map((s) => s.value as number)) as number,
    passed: reduceEpochs(passes, 'majority') === 1,
  };
}

function shorten(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
