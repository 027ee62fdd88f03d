import { type JobContext, type JobPayloads, type JobName } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';

/** Scores the sampled interactions of one ingest batch with the use case's online scorers (a queue job). */
@Injectable()
export class LiveScoringService {
  async scoreBatch(_data: JobPayloads[JobName.ScoreLive], _context: JobContext): Promise<void> {
    throw new Error('live scoring is not built yet');
  }
}
