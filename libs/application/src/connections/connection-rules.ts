import { type Actor, DomainError, type FieldProblem, hasRole } from '@gatehouse/domain';
import {
  connectionsUsed,
  EvalsError,
  platformProblems,
  type ResolvedConnection,
  type ScorerConfig,
  type TargetConfig,
} from '@gatehouse/evals';
import { type ProviderConnectionEntity } from '@gatehouse/persistence';
import { ALL_TEAMS, type ConnectionView } from './connections.schema';
import { type SecretBox } from './secret-box';

/** Admins may use every connection; a team member those shared with every team or with their team. */
export function mayUse(actor: Actor, teamId: string | null, row: ProviderConnectionEntity): boolean {
  return (
    hasRole(actor, 'admin') ||
    row.teams.includes(ALL_TEAMS) ||
    (teamId !== null && row.teams.includes(teamId))
  );
}

/**
 * Why a platform run's target and judges may not run: every endpoint must come from a connection the team
 * may use (of the right kind), every module from the operator's folder. `rows` are the connections the
 * target and judges name (connectionNames); one the team may not use answers like one that does not exist.
 */
export function platformUseProblems(
  use: { actor: Actor; teamId: string | null; target: TargetConfig; scorers: readonly ScorerConfig[] },
  modules: ReadonlySet<string>,
  rows: readonly ProviderConnectionEntity[],
): FieldProblem[] {
  const problems: FieldProblem[] = platformProblems(use.target, use.scorers, modules);
  const byName = new Map(rows.map((row) => [row.name, row]));
  for (const used of connectionsUsed(use.target, use.scorers)) {
    const row = byName.get(used.name);
    if (!row || !mayUse(use.actor, use.teamId, row)) {
      problems.push({
        field: used.field,
        message: `${used.name} is not a connection your team may use (GET /v1/connections lists them)`,
        code: 'unknown_reference',
      });
    } else if (row.kind !== used.kind) {
      problems.push({
        field: used.field,
        message: `${used.name} is an ${row.kind} connection; this needs an ${used.kind} one`,
        code: 'wrong_kind',
      });
    }
  }
  return problems;
}

/** The connection names a target and its judges use. */
export function connectionNames(target: TargetConfig, scorers: readonly ScorerConfig[]): string[] {
  return [...new Set(connectionsUsed(target, scorers).map((u) => u.name))];
}

/** A connection as a run's workers call it: its secret opened into the API key or the secret header. */
export function openConnection(box: SecretBox, row: ProviderConnectionEntity): ResolvedConnection {
  let secret: string | undefined;
  try {
    secret = row.secretSealed ? box.open(row.secretSealed, `connection:${row.id}`) : undefined;
  } catch (error) {
    // A configuration problem an operator fixes, never retried: say which connection and why.
    throw new EvalsError(
      `the secret of connection ${row.name} cannot be opened: ${(error as Error).message}`,
    );
  }
  const headers = { ...row.headers };
  if (row.kind === 'http' && secret !== undefined) {
    const header = row.secretHeader ?? 'authorization';
    headers[header] = header.toLowerCase() === 'authorization' ? `Bearer ${secret}` : secret;
  }
  return {
    name: row.name,
    kind: row.kind,
    baseUrl: row.baseUrl,
    apiKey: row.kind === 'openai' ? secret : undefined,
    headers,
  };
}

/** Refuses a secret header on an openai connection and more than 20 headers. */
export function checkShape(
  kind: 'openai' | 'http',
  body: { headers?: Record<string, string>; secretHeader?: string | null },
): void {
  if (kind === 'openai' && body.secretHeader) {
    throw DomainError.validation([
      {
        field: 'secretHeader',
        message: 'goes with http connections: an openai connection sends its secret as the bearer key',
        code: 'invalid',
      },
    ]);
  }
  if (Object.keys(body.headers ?? {}).length > 20) {
    throw DomainError.validation([
      { field: 'headers', message: 'may have at most 20 entries', code: 'too_big' },
    ]);
  }
}

/** The team list as stored: `*` alone, or each team once. */
export function storedTeams(teams: readonly string[]): string[] {
  return teams.includes(ALL_TEAMS) ? [ALL_TEAMS] : [...new Set(teams)];
}

/** The team ids (not `*`) that connections are shared with. */
export function sharedTeamIds(rows: readonly ProviderConnectionEntity[]): string[] {
  return [...new Set(rows.flatMap((row) => row.teams.filter((t) => t !== ALL_TEAMS)))];
}

/** Connections as the API shows them (never a secret), with their teams' names. */
export function toConnectionView(
  row: ProviderConnectionEntity,
  teamNames: Map<string, string>,
): ConnectionView {
  return {
    name: row.name,
    kind: row.kind,
    baseUrl: row.baseUrl,
    description: row.description,
    teams: row.teams.includes(ALL_TEAMS)
      ? [ALL_TEAMS]
      : row.teams.map((id) => ({ id, name: teamNames.get(id) ?? '(removed team)' })),
    headerNames: Object.keys(row.headers).sort(),
    hasSecret: row.secretSealed !== null,
    secretHeader: row.kind === 'http' && row.secretSealed ? (row.secretHeader ?? 'authorization') : null,
    revision: row.revision,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What the audit log keeps of a connection. */
export function auditable(view: ConnectionView): Record<string, unknown> {
  return {
    name: view.name,
    kind: view.kind,
    baseUrl: view.baseUrl,
    teams: view.teams,
    headerNames: view.headerNames,
    hasSecret: view.hasSecret,
    revision: view.revision,
  };
}
