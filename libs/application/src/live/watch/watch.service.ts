import { Injectable } from '@nestjs/common';

/**
 * The watch's periodic pass (a queue job on a schedule): deletes captured text past retention, checks live
 * rates against the evaluation-time baseline, starts due re-evaluations and marks expiring evidence.
 */
@Injectable()
export class WatchService {
  async tick(): Promise<void> {
    throw new Error('the watch is not built yet');
  }
}
