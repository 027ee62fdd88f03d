import {
  type Actor,
  DomainError,
  type LiveJudgeSpend,
  type LiveMeasures,
  measurePeriod,
  summariseLiveMeasures,
} from '@gatehouse/domain';
import {
  LiveJudgeBudgetRepository,
  LiveMeasuresRepository,
  LiveSettingsRepository,
  UnitOfWork,
} from '@gatehouse/persistence';
import { type GatehouseConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../../gatehouse-config.module';
import { GateReads } from '../../gates/gate-reads';
import { judgeBudgetCapped, liveSettingsOf } from '../live-settings';
import { utcDay } from './online-scorers';

/** The measures of a period, and today's model-judge calls against the budget. */
export type LiveMeasuresView = LiveMeasures & { judgeCalls: LiveJudgeSpend };

/** Far enough ahead that every row received so far counts (the route reads live data as it stands). */
const OPEN_END = new Date('9999-12-31T00:00:00.000Z');

/** The derived pilot measures of a use case's live use, day by day, for anyone who may see the use case. */
@Injectable()
export class LiveMeasuresService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly reads: GateReads,
    private readonly live: LiveMeasuresRepository,
    private readonly settingsRows: LiveSettingsRepository,
    private readonly budgets: LiveJudgeBudgetRepository,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  /**
   * Daily aggregates over `from`–`to` (UTC days, both included, at most 400 days): cases, feedback rates with
   * their exact upper bounds, unlinked feedback, errors, latency percentiles, tokens, cost, and each online
   * scorer's failure rate with its bound; and today's model-judge calls against the daily budget.
   */
  async measures(actor: Actor, useCaseId: string, from: string, to: string): Promise<LiveMeasuresView> {
    const period = measurePeriod(from, to);
    if ('field' in period) {
      throw DomainError.validation([
        { field: period.field, message: period.message, code: 'invalid_period' },
      ]);
    }
    return this.uow.read(async (tx) => {
      await this.reads.useCase(tx, actor, useCaseId);
      const window = { start: period.start, end: period.end, receivedBefore: OPEN_END };
      const today = utcDay(new Date());
      return {
        ...summariseLiveMeasures(
          from,
          to,
          await this.live.days(tx, useCaseId, window),
          await this.live.scorerDays(tx, useCaseId, window),
        ),
        judgeCalls: {
          day: today,
          used: await this.budgets.used(tx, useCaseId, today),
          budget: judgeBudgetCapped(
            liveSettingsOf(await this.settingsRows.find(tx, useCaseId)),
            this.config.live.maxJudgeCallsPerDay,
          ).judgeCallsPerDay,
        },
      };
    });
  }
}
