import { Injectable } from '@nestjs/common';

/**
 * What runs is what was approved: compares the configuration hashes a live service attests (in its traces
 * or a heartbeat) with the use case's approved target hash; a mismatch puts the use case under change,
 * opens a watch alert, notifies and is audited.
 */
@Injectable()
export class AttestationService {
  /**
   * Called by the ingest path after a batch is stored, with the distinct hashes it carried (never on the
   * request's critical path for long: it returns at once when every hash matches the cached approved one).
   */
  async attest(_aiUseCaseId: string, _configHashes: string[], _source: 'trace' | 'heartbeat'): Promise<void> {
    throw new Error('attestation is not built yet');
  }
}
