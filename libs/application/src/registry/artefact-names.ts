import { type Actor, type ArtefactKind, assertMayPublish } from '@gatehouse/domain';
import { type ArtefactNameRepository, type ArtefactTable, type Tx } from '@gatehouse/persistence';
import { holderOf } from './cassette-pins';

/**
 * Who may publish under a name (decidePublish); returns the owner the new row records. The name's lock
 * makes two teams' first uploads of a new name take turns.
 */
export async function claimName(
  names: ArtefactNameRepository,
  tx: Tx,
  actor: Actor,
  kind: ArtefactKind,
  name: string,
): Promise<string | null> {
  await names.lock(tx, kind, name);
  const table: ArtefactTable = kind === 'dataset' ? 'datasets' : kind === 'suite' ? 'suites' : 'cassettes';
  if (kind === 'cassette') {
    // `<cassette>.<metric>.judge<n>` belongs to whoever holds `<cassette>`: nobody else can take the
    // names a team's judges will record under (and so block its replays) before it records them.
    for (const prefix of dottedPrefixes(name)) {
      const first = await names.firstOfName(tx, table, prefix);
      if (first) {
        return assertMayPublish(actor, kind, name, holderOf(first));
      }
    }
  }
  return assertMayPublish(actor, kind, name, holderOf(await names.firstOfName(tx, table, name)));
}

/** `a.b.c` → `a`, `a.b`: the shorter names a dotted cassette name belongs under, shortest first. */
function dottedPrefixes(name: string): string[] {
  const parts = name.split('.');
  return parts.slice(1).map((_, index) => parts.slice(0, index + 1).join('.'));
}
