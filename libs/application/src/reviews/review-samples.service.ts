import { type Actor } from '@gatehouse/domain';
import { Injectable } from '@nestjs/common';
import { type ReviewSampleView } from './review.views';

/**
 * Drawing review samples from completed runs and reading them back. Who may: see the run to read a
 * sample; draw one: a reviewer, or an engineer or service-team member of the use case's owning team.
 */
@Injectable()
export class ReviewSamplesService {
  /** Draws and stores a sample of a completed run (body: size, seed?, groupKey?, failureWeight?, judgedWeight?). */
  draw(actor: Actor, runId: string, body: unknown): Promise<ReviewSampleView> {
    void actor;
    void runId;
    void body;
    throw new Error('ReviewSamplesService.draw: not implemented yet');
  }

  /** The run's samples, oldest first. */
  list(actor: Actor, runId: string): Promise<ReviewSampleView[]> {
    void actor;
    void runId;
    throw new Error('ReviewSamplesService.list: not implemented yet');
  }

  get(actor: Actor, sampleId: string): Promise<ReviewSampleView> {
    void actor;
    void sampleId;
    throw new Error('ReviewSamplesService.get: not implemented yet');
  }
}
