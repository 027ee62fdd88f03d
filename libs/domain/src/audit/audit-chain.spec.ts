import { type AuditEvent, AuditChainVerifier, GENESIS_HASH, sealAuditEvent } from './audit-chain';
import { withoutSecrets } from './redact-secrets';

function chain(length: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const event = sealAuditEvent(
      {
        actorId: 'u1',
        actorName: 'Ada',
        action: 'ai_use_case.updated',
        subjectType: 'ai_use_case',
        subjectId: 'uc1',
        before: { n: seq - 1 },
        after: { n: seq },
        reason: null,
        requestId: null,
      },
      { seq, id: `e${seq}`, occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)), prevHash },
    );
    events.push(event);
    prevHash = event.hash;
  }
  return events;
}

function verify(
  events: AuditEvent[],
  head: { seq: number; hash: string } | null = { seq: 5, hash: chain(5)[4].hash },
) {
  const verifier = new AuditChainVerifier();
  for (const event of events) {
    if (!verifier.push(event)) {
      break;
    }
  }
  return verifier.finish(head);
}

describe('AuditChainVerifier', () => {
  it('accepts an intact chain', () => {
    const report = verify(chain(5));
    expect(report).toMatchObject({ ok: true, eventsChecked: 5, headSeq: 5, firstBreak: null });
  });

  it('accepts the empty chain', () => {
    expect(verify([], { seq: 0, hash: GENESIS_HASH }).ok).toBe(true);
  });

  it('names an event whose content was changed', () => {
    const events = chain(5);
    events[2] = { ...events[2], reason: 'edited later' };
    expect(verify(events).firstBreak).toMatchObject({
      problem: 'content_hash_mismatch',
      seq: 3,
      eventId: 'e3',
    });
  });

  it('names a re-hashed event that no longer links to its predecessor', () => {
    const events = chain(5);
    const { seq, id, prevHash, occurredAt } = events[1];
    const forged = sealAuditEvent(
      { ...events[1], after: { n: 99 } },
      { seq, id, prevHash, occurredAt: new Date(occurredAt) },
    );
    expect(forged.hash).not.toBe(events[1].hash);
    events[1] = forged;
    expect(verify(events).firstBreak).toMatchObject({
      problem: 'previous_hash_mismatch',
      seq: 3,
      eventId: 'e3',
    });
  });

  it('names a deleted event in the middle', () => {
    const events = chain(5).filter((e) => e.seq !== 3);
    expect(verify(events).firstBreak).toMatchObject({ problem: 'missing_event', seq: 3, eventId: 'e4' });
  });

  it('notices events deleted from the end through the stored head', () => {
    const report = verify(chain(5).slice(0, 3));
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ problem: 'missing_event', seq: 4 });
  });

  it('notices a head that does not match the last event', () => {
    expect(verify(chain(5), { seq: 5, hash: 'f'.repeat(64) }).firstBreak?.problem).toBe('head_mismatch');
  });

  it('reports a missing head as a broken chain, with the last event that links', () => {
    const report = verify(chain(5), null);
    expect(report).toMatchObject({
      ok: false,
      eventsChecked: 5,
      headSeq: 5,
      headHash: chain(5)[4].hash,
      firstBreak: { problem: 'missing_head', seq: 6, eventId: null },
    });
    expect(report.firstBreak?.detail).toContain('The chain head record is missing');
    // An earlier break stays the first one reported.
    const edited = chain(5);
    edited[1] = { ...edited[1], reason: 'edited later' };
    expect(verify(edited, null).firstBreak).toMatchObject({ problem: 'content_hash_mismatch', seq: 2 });
    expect(verify([], null)).toMatchObject({
      ok: false,
      headSeq: 0,
      firstBreak: { problem: 'missing_head' },
    });
  });
});

describe('withoutSecrets', () => {
  it('drops members whose names look secret, at any depth', () => {
    expect(
      withoutSecrets({
        name: 'Ada',
        token: 'ghk_x',
        tokenHash: 'abc',
        nested: [{ apiKey: 'k', password: 'p', kept: 1, Authorization: 'Bearer x' }],
        when: new Date('2026-01-01T00:00:00Z'),
      }),
    ).toEqual({ name: 'Ada', nested: [{ kept: 1 }], when: '2026-01-01T00:00:00.000Z' });
  });
});
