import { type Actor } from '@gatehouse/domain';
import { Injectable } from '@nestjs/common';
import { type ItemReviewView, type ReviewItemView } from './review.views';

/**
 * Reviewing sampled items one at a time, blind: a reviewer sees only their own review of an item, never
 * another's. Reviews are audited and never edited; recording again writes the next revision. Who may
 * review: a reviewer, or an engineer or service-team member of the owning team (counted, but never as
 * independent).
 */
@Injectable()
export class ItemReviewsService {
  item(actor: Actor, sampleId: string, position: number): Promise<ReviewItemView> {
    void actor;
    void sampleId;
    void position;
    throw new Error('ItemReviewsService.item: not implemented yet');
  }

  /**
   * Records the caller's review of one item (body: verdicts per metric, note?), as `source` (`web` or
   * `api`). A 4xx names each bad field.
   */
  record(
    actor: Actor,
    sampleId: string,
    position: number,
    body: unknown,
    source: 'web' | 'api',
  ): Promise<ItemReviewView> {
    void actor;
    void sampleId;
    void position;
    void body;
    void source;
    throw new Error('ItemReviewsService.record: not implemented yet');
  }

  /** The sample's current reviews as JSONL (blind: others' reviews of items the caller has not reviewed are left out). */
  exportJsonl(actor: Actor, sampleId: string): Promise<string> {
    void actor;
    void sampleId;
    throw new Error('ItemReviewsService.exportJsonl: not implemented yet');
  }

  /** Imports reviews made elsewhere (JSONL); all or nothing, every bad line named. */
  importJsonl(actor: Actor, sampleId: string, body: string): Promise<{ imported: number }> {
    void actor;
    void sampleId;
    void body;
    throw new Error('ItemReviewsService.importJsonl: not implemented yet');
  }
}
