import { DomainError, mayPinFrom, type NameHolder } from '@gatehouse/domain';
import { recordedConfigHash, type SuiteDefinition, type TargetConfig } from '@gatehouse/evals';
import { CassetteRepository, type CassetteRow, type Tx } from '@gatehouse/persistence';

/** Who holds a name: the owner of its first row (rows that another team added before names were owned do not count). */
export function holderOf(first: { ownerTeamId: string | null } | null | undefined): NameHolder {
  if (!first) {
    return { kind: 'unclaimed' };
  }
  return first.ownerTeamId ? { kind: 'team', teamId: first.ownerTeamId } : { kind: 'platform' };
}

const byTime = (a: CassetteRow, b: CassetteRow) => a.createdAt.getTime() - b.createdAt.getTime();
const published = (row: CassetteRow) => (row.publishedAt ?? row.createdAt).getTime();

/**
 * Pins the cassettes a replay target replays (its own and its judges', `<cassette>.<metric>.judge<n>`) by
 * content hash: for each name, the content its owner published last. Only names held by one of `teamIds`
 * or by the platform are considered, and only rows their holder published (so an impostor's upload from
 * before names were owned is never pinned). The target's own cassette must be pinnable; a judge cassette
 * that is not stays unpinned (the run then fails clearly on the worker).
 */
export async function pinReplayCassettes(
  tx: Tx,
  target: TargetConfig,
  teamIds: readonly (string | null)[],
): Promise<Record<string, string>> {
  if (target.type !== 'replay') {
    return {};
  }
  const name = target.cassette;
  const rows = await CassetteRepository.namedUnder(tx, name);
  const byName = new Map<string, CassetteRow[]>();
  for (const row of rows) {
    byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
  }
  const pins: Record<string, string> = {};
  // The judges' cassettes are pinned from whoever holds the target's cassette, whoever first used their
  // names: another team's rows under `<cassette>.*` are never replayed.
  const targetHolder = holderOf([...(byName.get(name) ?? [])].sort(byTime)[0]);
  for (const [cassette, list] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const holder =
      cassette === name || targetHolder.kind === 'unclaimed'
        ? holderOf([...list].sort(byTime)[0])
        : targetHolder;
    if (!mayPinFrom(holder, teamIds)) {
      if (cassette === name) {
        throw DomainError.validation([
          {
            field: 'target.cassette',
            message: `cassette ${name} belongs to another team: only cassettes of the use case's team (or the platform's) can be replayed as its evidence`,
            code: 'not_owned',
          },
        ]);
      }
      continue;
    }
    const owner = holder.kind === 'team' ? holder.teamId : null;
    const current = list
      .filter((row) => row.ownerTeamId === owner)
      .sort((a, b) => published(b) - published(a) || b.createdAt.getTime() - a.createdAt.getTime())[0];
    if (current) {
      pins[cassette] = current.sha256;
    }
  }
  if (!pins[name]) {
    throw DomainError.validation([
      {
        field: 'target.cassette',
        message: `cassette ${name} is not on this server: upload it with gatehouse push`,
        code: 'unknown_reference',
      },
    ]);
  }
  return pins;
}

/**
 * Refuses a replay whose pinned cassettes were recorded from another configuration than the suite (or the
 * registered target) says: the target cassette against `target.recordFrom`, each judge cassette against its
 * judge's settings. A cassette without a meta line (recorded before they existed) is unverified, not refused.
 * Returns the names of the unverified cassettes.
 */
export async function checkRecordedFrom(
  tx: Tx,
  target: TargetConfig,
  pins: Record<string, string>,
  definition?: SuiteDefinition,
): Promise<string[]> {
  if (target.type !== 'replay' || Object.keys(pins).length === 0) {
    return [];
  }
  const rows = await CassetteRepository.pinnedBy(tx, pins);
  const pinned = (cassette: string) =>
    rows.find((row) => row.name === cassette && row.sha256 === pins[cassette]);
  const expected: { cassette: string; field: string; config: unknown }[] = [];
  if (target.recordFrom) {
    expected.push({ cassette: target.cassette, field: 'target.recordFrom', config: target.recordFrom });
  }
  (definition?.scorers ?? []).forEach((scorer, index) => {
    if (scorer.type !== 'rubric_judge' && scorer.type !== 'not-rubric_judge') {
      return;
    }
    const judges =
      'panel' in scorer && scorer.panel
        ? scorer.panel
        : 'judge' in scorer && scorer.judge
          ? [scorer.judge]
          : [];
    judges.forEach((judge, j) =>
      expected.push({
        cassette: `${target.cassette}.${scorer.name ?? scorer.type}.judge${j + 1}`,
        field: `scorers[${index}].${'panel' in scorer && scorer.panel ? `panel[${j}]` : 'judge'}`,
        config: judge,
      }),
    );
  });
  for (const { cassette, field, config } of expected) {
    const row = pinned(cassette);
    if (row?.recordedFrom && row.recordedFrom !== recordedConfigHash(config)) {
      throw DomainError.validation(
        [
          {
            field,
            message: `differs from the configuration cassette ${cassette} was recorded from: re-record it with \`gatehouse eval run <suite> --record\` and push it (gatehouse push)`,
            code: 'recorded_from_mismatch',
          },
        ],
        `Cassette ${cassette} was recorded from another configuration than ${field}: its answers are not evidence for it.`,
      );
    }
  }
  return Object.keys(pins).filter((cassette) => !pinned(cassette)?.recordedFrom);
}
