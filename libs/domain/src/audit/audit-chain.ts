import { canonicalJson, type JsonValue, sha256Hex } from '../hashing/canonical-json';

/** What a state change says about itself; the chain adds sequence, time and hashes. */
export interface AuditEventContent {
  actorId: string;
  actorName: string;
  /** `<subject>.<verb>`, e.g. `ai_use_case.created`, `api_token.revoked`, `gate_evaluation.refused`. */
  action: string;
  subjectType: string;
  subjectId: string;
  before: JsonValue | null;
  after: JsonValue | null;
  reason: string | null;
  requestId: string | null;
}

export interface AuditEvent extends AuditEventContent {
  seq: number;
  id: string;
  /** ISO-8601 UTC with milliseconds: the exact string that was hashed. */
  occurredAt: string;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The hash covers every field of the event and the previous event's hash, canonically serialised. */
export function hashAuditEvent(event: Omit<AuditEvent, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      seq: event.seq,
      id: event.id,
      occurredAt: event.occurredAt,
      actorId: event.actorId,
      actorName: event.actorName,
      action: event.action,
      subjectType: event.subjectType,
      subjectId: event.subjectId,
      before: event.before,
      after: event.after,
      reason: event.reason,
      requestId: event.requestId,
      prevHash: event.prevHash,
    }),
  );
}

export function sealAuditEvent(
  content: AuditEventContent,
  position: { seq: number; id: string; occurredAt: Date; prevHash: string },
): AuditEvent {
  const unsealed = { ...content, ...position, occurredAt: position.occurredAt.toISOString() };
  return { ...unsealed, hash: hashAuditEvent(unsealed) };
}

export type AuditChainProblem =
  'missing_event' | 'previous_hash_mismatch' | 'content_hash_mismatch' | 'head_mismatch' | 'missing_head';

export interface AuditChainBreak {
  problem: AuditChainProblem;
  /** Sequence number of the event where the chain breaks (for a missing event: the one expected). */
  seq: number;
  /** The event found at or after the break, when there is one. */
  eventId: string | null;
  detail: string;
}

export interface AuditChainReport {
  ok: boolean;
  eventsChecked: number;
  headSeq: number;
  headHash: string;
  firstBreak: AuditChainBreak | null;
}

/**
 * Re-computes the chain event by event (events must be fed in sequence order) and remembers the first
 * broken or missing link. Constant memory, so a chain of millions of events verifies in pages.
 */
export class AuditChainVerifier {
  private expectedSeq = 1;
  private previousHash = GENESIS_HASH;
  private checked = 0;
  private broken: AuditChainBreak | null = null;

  /** Returns false once the chain is known to be broken: the caller may stop reading. */
  push(event: AuditEvent): boolean {
    if (this.broken) {
      return false;
    }
    this.checked += 1;
    if (event.seq !== this.expectedSeq) {
      this.broken = {
        problem: 'missing_event',
        seq: this.expectedSeq,
        eventId: event.id,
        detail:
          event.seq > this.expectedSeq
            ? `Event ${this.expectedSeq}${event.seq - this.expectedSeq > 1 ? `-${event.seq - 1}` : ''} is missing: the next event found is ${event.seq} (${event.id}).`
            : `Event ${event.seq} (${event.id}) appears out of order where ${this.expectedSeq} was expected.`,
      };
      return false;
    }
    if (event.prevHash !== this.previousHash) {
      this.broken = {
        problem: 'previous_hash_mismatch',
        seq: event.seq,
        eventId: event.id,
        detail: `Event ${event.seq} (${event.id}) does not link to the event before it.`,
      };
      return false;
    }
    const recomputed = hashAuditEvent(event);
    if (recomputed !== event.hash) {
      this.broken = {
        problem: 'content_hash_mismatch',
        seq: event.seq,
        eventId: event.id,
        detail: `Event ${event.seq} (${event.id}) was changed after it was written: its content no longer matches its hash.`,
      };
      return false;
    }
    this.expectedSeq += 1;
    this.previousHash = event.hash;
    return true;
  }

  /**
   * `head` is the separately stored last link; it catches events removed from the end of the chain. Without
   * it (null: the head row is gone) the chain is broken, and the report's head is the last event that links.
   */
  finish(head: { seq: number; hash: string } | null): AuditChainReport {
    if (!head) {
      this.broken ??= {
        problem: 'missing_head',
        seq: this.expectedSeq,
        eventId: null,
        detail: `The chain head record is missing, so events removed from the end of the chain cannot be detected: the events link up to event ${this.expectedSeq - 1}. Restore the head record from a backup and find out how it was removed.`,
      };
      return {
        ok: false,
        eventsChecked: this.checked,
        headSeq: this.expectedSeq - 1,
        headHash: this.previousHash,
        firstBreak: this.broken,
      };
    }
    if (!this.broken && (head.seq !== this.expectedSeq - 1 || head.hash !== this.previousHash)) {
      this.broken = {
        problem: head.seq > this.expectedSeq - 1 ? 'missing_event' : 'head_mismatch',
        seq: this.expectedSeq,
        eventId: null,
        detail:
          head.seq > this.expectedSeq - 1
            ? `The chain ends at event ${this.expectedSeq - 1} but its head records event ${head.seq}: events ${this.expectedSeq}-${head.seq} are missing.`
            : `The chain head (event ${head.seq}) does not match the last event (${this.expectedSeq - 1}).`,
      };
    }
    return {
      ok: this.broken === null,
      eventsChecked: this.checked,
      headSeq: head.seq,
      headHash: head.hash,
      firstBreak: this.broken,
    };
  }
}
