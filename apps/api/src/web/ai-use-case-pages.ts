import { type AiUseCaseView } from '@gatehouse/application';
import { type RiskTier, type Stage } from '@gatehouse/domain';

/** What the AI use case pages show, worked out from the application's views (no HTML here). */

export const PAGE_SIZE = 20;

const words = (value: string) => value.replace(/_/g, ' ');
const capital = (value: string) => (value ? value.charAt(0).toUpperCase() + value.slice(1) : value);
const yesNo = (value: boolean | undefined) => (value === undefined ? 'Not stated' : value ? 'Yes' : 'No');

/** GOV.UK tag colours; the tag's text always says the stage or tier, so colour is never the only cue. */
export const STAGE_TAG: Record<Stage, string> = {
  proposed: 'govuk-tag--grey',
  test: 'govuk-tag--light-blue',
  learn: 'govuk-tag--purple',
  scale: 'govuk-tag--green',
  retired: 'govuk-tag--grey',
};
export const TIER_TAG: Record<RiskTier, string> = {
  low: 'govuk-tag--green',
  medium: 'govuk-tag--yellow',
  high: 'govuk-tag--red',
};

export interface StageStep {
  stage: Stage;
  label: string;
  state: 'done' | 'current' | 'todo';
  /** Said in words beside the name, so the current step is not shown by colour alone. */
  status: string;
}

const STEP_STAGES = ['proposed', 'test', 'learn', 'scale'] as const;
const STEP_HINTS: Record<(typeof STEP_STAGES)[number], string> = {
  proposed: 'Registered, not yet evaluated',
  test: 'Offline evaluation on fixed datasets',
  learn: 'A bounded live pilot with real users',
  scale: 'Wider rollout',
};

/** The four stages in order, the current one marked (none while retired). */
export function stageSteps(stage: Stage): (StageStep & { hint: string })[] {
  const current = STEP_STAGES.indexOf(stage as (typeof STEP_STAGES)[number]);
  return STEP_STAGES.map((step, index) => {
    const state = current < 0 ? 'todo' : index < current ? 'done' : index === current ? 'current' : 'todo';
    return {
      stage: step,
      label: capital(step),
      hint: STEP_HINTS[step],
      state,
      status:
        stage === 'retired'
          ? 'Retired'
          : { done: 'Completed', current: 'Current stage', todo: 'Not reached' }[state],
    };
  });
}

export interface SummaryRow {
  key: string;
  /** A list is shown as bullets; an empty list as "None". */
  value: string | string[];
}

/** The record's key fields, in the order of the register form. */
export function summaryRows(view: AiUseCaseView): SummaryRow[] {
  const r = view.record;
  const person = (p?: { name: string; role: string }) => (p ? `${p.name}, ${p.role}` : 'Not stated');
  return [
    { key: 'Summary', value: r.summary },
    { key: 'Owning team', value: view.ownerTeam.name },
    { key: 'Service domain', value: capital(words(r.domain)) },
    ...(r.organisation ? [{ key: 'Organisation', value: r.organisation }] : []),
    { key: 'Senior responsible owner', value: person(r.ownership.seniorResponsibleOwner) },
    { key: 'Problem statement', value: r.purpose.problemStatement },
    { key: 'In scope', value: r.purpose.inScope },
    { key: 'Out of scope', value: r.purpose.outOfScope },
    { key: 'Expected benefits', value: r.benefits.expected },
    ...(r.benefits.baseline ? [{ key: 'Baseline', value: r.benefits.baseline }] : []),
    { key: 'Decision role', value: capital(r.decision.role) },
    { key: 'Human involvement', value: r.decision.humanInvolvement },
    { key: 'Decisions about individuals', value: yesNo(r.decision.aboutIndividuals) },
    { key: 'Significant decisions (UK GDPR Art. 22A)', value: yesNo(r.decision.significantDecision) },
    { key: 'Solely automated decisions', value: yesNo(r.decision.solelyAutomated) },
    { key: 'Users', value: r.people.userGroups },
    { key: 'Affected groups', value: r.people.affectedGroups },
    {
      key: 'Protected characteristics in scope',
      value: r.people.protectedCharacteristicsInScope.map((c) => capital(words(c))),
    },
    { key: 'Public facing', value: yesNo(r.people.publicFacing) },
    { key: 'Vulnerable people', value: yesNo(r.people.vulnerableUsers) },
    { key: 'Children affected', value: yesNo(r.people.children) },
    { key: 'Type of AI', value: capital(words(r.technology.aiType)) },
    { key: 'Models', value: r.technology.models.map((m) => `${m.name} (${m.provider})`) },
    { key: 'Personal data', value: yesNo(r.data.personalData) },
    {
      key: 'Special category data',
      value: r.data.specialCategoryData
        ? `Yes: ${r.data.specialCategoryCondition ?? 'condition not stated'}`
        : 'No',
    },
    { key: 'Lawful basis', value: r.data.lawfulBasis ?? 'Not stated' },
    {
      key: 'Risks recorded',
      value: r.risks.map((risk) => `${risk.description} (mitigation: ${risk.mitigation})`),
    },
    {
      key: 'Impact assessments',
      value: r.impactAssessments.map((a) => `${a.kind.toUpperCase().replace(/_/g, ' ')}: ${words(a.status)}`),
    },
  ];
}

const ACTIONS: Record<string, string> = {
  'ai_use_case.registered': 'Registered the AI use case',
  'ai_use_case.updated': 'Changed the record',
  'ai_use_case.risk_tier_overridden': 'Overrode the risk tier',
  'ai_use_case.target_registered': 'Registered the target',
  'ai_use_case.promoted': 'Promoted the AI use case',
  'ai_use_case.change_approved': 'Re-approved the changed AI use case',
  'ai_use_case.demoted': 'Demoted the AI use case',
  'ai_use_case.retired': 'Retired the AI use case',
  'gate.evaluated': 'Checked a gate',
  'gate.refused': 'Was refused a gate action',
  'gate.approved': 'Approved a gate evaluation',
  'gate.rejected': 'Rejected a gate evaluation',
  'pilot.observation_recorded': 'Recorded pilot observations',
  'transparency.published': 'Published the transparency record',
  'transparency.republished': 'Republished the transparency record',
  'transparency.refreshed': 'Refreshed the published transparency record',
};

/** An audit action in words, with the detail a reader needs (the stages, the verdict, the fields). */
export function actionInWords(action: string, after: unknown): string {
  const base = ACTIONS[action] ?? capital(words(action.replace(/\./g, ': ')));
  const a = (after && typeof after === 'object' ? after : {}) as Record<string, unknown>;
  if (action === 'gate.evaluated' && typeof a['to'] === 'string') {
    return `${base} to ${a['to']}: ${a['verdict'] === 'pass' ? 'passed' : 'failed'}`;
  }
  if (action === 'ai_use_case.updated' && Array.isArray(a['changedPaths'])) {
    return `${base}: ${(a['changedPaths'] as unknown[]).map(String).join(', ')}`;
  }
  if (action === 'gate.refused' && typeof a['attempted'] === 'string') {
    return `${base} (${words(String(a['attempted']).replace(/\./g, ' '))}${a['rule'] ? `, rule ${String(a['rule'])}` : ''})`;
  }
  if (['ai_use_case.promoted', 'ai_use_case.demoted'].includes(action) && a['stage']) {
    return `${base} to ${String(a['stage'])}`;
  }
  return base;
}

export interface PaginationParams {
  previous?: { href: string };
  next?: { href: string };
  items: ({ number: number; href: string; current?: boolean } | { ellipsis: true })[];
}

/** govukPagination's parameters for page `page` of `total` items, keeping the page's other query values. */
export function pagination(
  path: string,
  query: Record<string, string | undefined>,
  page: number,
  total: number,
  size = PAGE_SIZE,
): PaginationParams | null {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) {
    return null;
  }
  const href = (n: number) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value) {
        params.set(key, value);
      }
    }
    if (n > 1) {
      params.set('page', String(n));
    }
    const search = params.toString();
    return search ? `${path}?${search}` : path;
  };
  const shown = [...new Set([1, page - 1, page, page + 1, pages])]
    .filter((n) => n >= 1 && n <= pages)
    .sort((a, b) => a - b);
  const items: PaginationParams['items'] = [];
  shown.forEach((n, i) => {
    if (i > 0 && n - shown[i - 1] > 1) {
      items.push({ ellipsis: true });
    }
    items.push({ number: n, href: href(n), ...(n === page ? { current: true } : {}) });
  });
  return {
    ...(page > 1 ? { previous: { href: href(page - 1) } } : {}),
    ...(page < pages ? { next: { href: href(page + 1) } } : {}),
    items,
  };
}

/** `?page=` as a positive whole number (1 when absent or nonsense). */
export function pageNumber(value: unknown): number {
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : 1;
  return Math.max(1, n);
}
