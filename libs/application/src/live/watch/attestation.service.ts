import { type GatehouseConfig } from '@gatehouse/config';
import {
  configMismatchSummary,
  mismatchedHashes,
  type SeenHashes,
  watchMarksStage,
  withSeenHashes,
} from '@gatehouse/domain';
import { type AiUseCaseEntity, type Tx, UnitOfWork, WatchRepository } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../../gatehouse-config.module';
import { NotificationsService } from '../../notifications/notifications.service';
import { WATCH_CONTEXT, WatchAlerts } from './watch-alerts';

const DEDUPE_KEY = 'config_mismatch';

/** What this process already recorded for a use case: hashes it need not look at again for a while. */
interface Known {
  hashes: Set<string>;
  until: number;
}

/** Which configuration hash counts as approved for a use case now. */
export interface ApprovedHash {
  hash: string | null;
  stage: AiUseCaseEntity['stage'];
}

/**
 * What runs is what was approved: compares the configuration hashes a live service attests (in its traces
 * or a heartbeat) with the configuration the use case's stage was approved on; a mismatch puts the use case
 * under change (at learn or scale), opens one config_mismatch alert, notifies the team and the reviewers
 * and is audited.
 *
 * Bounded whatever the service sends: one open config_mismatch alert per use case; its details list at most
 * WATCH_LIMITS.maxListedHashes distinct hashes and count one overflow; one notification per alert; hashes
 * already recorded are skipped after a read (and, for `live.tokenCacheMs`, without one).
 *
 * A hash is a declaration, not a proof: a service that reports the approved hash while running something
 * else is not caught here (docs/live-watch.md). What it reports is recorded and audited.
 */
@Injectable()
export class AttestationService {
  private readonly known = new Map<string, Known>();
  private readonly cacheMs: number;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly watch: WatchRepository,
    private readonly alerts: WatchAlerts,
    private readonly outbox: NotificationsService,
    @InjectConfig() config: GatehouseConfig,
  ) {
    this.cacheMs = config.live.tokenCacheMs;
  }

  /**
   * Called by the ingest path after a batch is stored, with the distinct hashes it carried (never on the
   * request's critical path for long: it returns at once when every hash is one it recorded lately).
   */
  async attest(aiUseCaseId: string, configHashes: string[], source: 'trace' | 'heartbeat'): Promise<void> {
    const now = new Date();
    const cached = this.known.get(aiUseCaseId);
    if (
      cached &&
      cached.until > now.getTime() &&
      configHashes.every((h) => cached.hashes.has(h.toLowerCase()))
    ) {
      return;
    }
    // A cheap read first: most calls carry the approved hash, or one the open alert lists already.
    const pending = await this.uow.read((tx) => this.unrecorded(tx, aiUseCaseId, configHashes));
    if (pending === null) {
      return;
    }
    await this.outbox.write((tx) => this.record(tx, aiUseCaseId, configHashes, source, now));
    this.remember(aiUseCaseId, configHashes, now);
  }

  /** The hash the use case's stage was approved on: the approving evaluation's target (else the registered one). */
  async approvedHash(tx: Tx, useCase: AiUseCaseEntity): Promise<string | null> {
    if (!watchMarksStage(useCase.stage)) {
      return useCase.targetHash;
    }
    const [watched] = await this.watch.watchedUseCases(tx, useCase.id);
    return watched?.approval?.targetHash ?? useCase.targetHash;
  }

  /** Mismatching hashes not yet recorded as they should be, or null when there is nothing to write. */
  private async unrecorded(tx: Tx, aiUseCaseId: string, reported: string[]): Promise<string[] | null> {
    const useCase = await this.watch.findUseCase(tx, aiUseCaseId);
    if (!useCase) {
      return null;
    }
    const mismatched = mismatchedHashes(await this.approvedHash(tx, useCase), reported);
    if (mismatched.length === 0) {
      this.remember(aiUseCaseId, reported, new Date());
      return null;
    }
    const open = await this.watch.openAlert(tx, aiUseCaseId, DEDUPE_KEY);
    const marked = !watchMarksStage(useCase.stage) || useCase.underChangeSince !== null;
    if (open && marked && !withSeenHashes(seenOf(open.details), mismatched).changed) {
      this.remember(aiUseCaseId, reported, new Date());
      return null;
    }
    return mismatched;
  }

  /** Under the use case's row lock: mark, open or extend the alert, audit and notify. */
  private async record(
    tx: Tx,
    aiUseCaseId: string,
    reported: string[],
    source: 'trace' | 'heartbeat',
    now: Date,
  ): Promise<void> {
    const useCase = await this.watch.lockUseCase(tx, aiUseCaseId);
    if (!useCase) {
      return;
    }
    const approved = await this.approvedHash(tx, useCase);
    const mismatched = mismatchedHashes(approved, reported);
    if (mismatched.length === 0) {
      return;
    }
    const marks = watchMarksStage(useCase.stage);
    const before = useCase.underChangeSince;
    const markedNow = marks && (await this.watch.markUnderChange(tx, useCase.id, now));
    let open = await this.watch.openAlert(tx, useCase.id, DEDUPE_KEY);
    if (open && markedNow) {
      // The mark had been cleared (an approved stage change) while this alert stayed open: it is about the
      // configuration before that approval. Close it and open a fresh one for what runs now.
      await this.alerts.resolve(
        tx,
        WATCH_CONTEXT,
        open,
        'An approved stage change cleared the mark; the service still reports an unapproved configuration.',
        now,
      );
      open = null;
    }
    if (open) {
      const merged = withSeenHashes(seenOf(open.details), mismatched);
      if (merged.changed) {
        await this.watch.updateAlertDetails(tx, open.id, {
          ...open.details,
          ...merged.seen,
          lastSource: source,
        });
      }
      return;
    }
    const seen = withSeenHashes({ hashes: [], distinct: 0, more: false }, mismatched).seen;
    await this.alerts.open(
      tx,
      useCase,
      {
        kind: 'config_mismatch',
        dedupeKey: DEDUPE_KEY,
        summary: configMismatchSummary(useCase.stage, approved, useCase.record),
        details: {
          ...seen,
          approvedHash: approved,
          stage: useCase.stage,
          source,
          killSwitch: useCase.record.operations?.killSwitch ?? null,
          underChange: marks,
        },
        notify: 'config_mismatch',
        marks: {
          underChangeSince: markedNow ? now : before,
          underReviewSince: useCase.underReviewSince,
        },
      },
      now,
    );
  }

  private remember(aiUseCaseId: string, hashes: string[], now: Date): void {
    if (this.cacheMs <= 0) {
      return;
    }
    const entry = this.known.get(aiUseCaseId);
    const fresh =
      entry && entry.until > now.getTime()
        ? entry
        : { hashes: new Set<string>(), until: now.getTime() + this.cacheMs };
    // Bounded like the alert: a service cycling through random hashes cannot grow this set.
    for (const hash of hashes.slice(0, 20)) {
      if (fresh.hashes.size < 64) {
        fresh.hashes.add(hash.toLowerCase());
      }
    }
    if (this.known.size > 10_000) {
      this.known.clear();
    }
    this.known.set(aiUseCaseId, fresh);
  }
}

function seenOf(details: Record<string, unknown>): SeenHashes {
  const hashes = Array.isArray(details.hashes)
    ? details.hashes.filter((h): h is string => typeof h === 'string')
    : [];
  const distinct = typeof details.distinct === 'number' ? details.distinct : hashes.length;
  return { hashes, distinct, more: details.more === true };
}
