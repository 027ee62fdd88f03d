import { newAiUseCaseRecordSchema, zodProblems } from '@gatehouse/application';
import {
  AI_TYPES,
  type AiUseCaseRecord,
  DECISION_ROLES,
  type FieldProblem,
  PROTECTED_CHARACTERISTICS,
  SERVICE_DOMAINS,
} from '@gatehouse/domain';

/**
 * The register form of an AI use case: which form field holds which part of the record, how the posted
 * form becomes a record, and how the field problems the schema and the service report (paths such as
 * `record.decision.role`) become GOV.UK error messages pointing at the inputs. The form holds the required
 * fields and the most important optional ones; the rest of the record is edited through the API.
 */

export type FormValues = Record<string, string | string[]>;

interface FormField {
  /** The input's name and id (for radios and checkboxes: the first item's id). */
  name: string;
  /** What the field is called at the start of an error message. */
  label: string;
  /** The message when nothing (or nothing valid) was entered or chosen. */
  required: string;
}

/** Record paths (without the `record.` prefix) to form fields, in the order they appear on the page. */
const FIELDS: [path: string, field: FormField][] = [
  ['name', { name: 'name', label: 'Name', required: 'Enter the name of the AI use case' }],
  ['summary', { name: 'summary', label: 'Summary', required: 'Enter a one-sentence summary' }],
  ['domain', { name: 'domain', label: 'Service domain', required: 'Select the service domain' }],
  ['organisation', { name: 'organisation', label: 'Organisation', required: 'Enter the organisation' }],
  [
    'publicContactEmail',
    {
      name: 'publicContactEmail',
      label: 'Public contact email',
      required: 'Enter a public contact email address',
    },
  ],
  [
    'ownership.seniorResponsibleOwner.name',
    {
      name: 'sroName',
      label: 'Senior responsible owner’s name',
      required: 'Enter the senior responsible owner’s name',
    },
  ],
  [
    'ownership.seniorResponsibleOwner.role',
    {
      name: 'sroRole',
      label: 'Senior responsible owner’s role',
      required: 'Enter the senior responsible owner’s role',
    },
  ],
  [
    'purpose.problemStatement',
    {
      name: 'problemStatement',
      label: 'Problem statement',
      required: 'Enter the problem the AI use case solves',
    },
  ],
  ['purpose.inScope', { name: 'inScope', label: 'In scope', required: 'Enter what is in scope' }],
  [
    'purpose.outOfScope',
    { name: 'outOfScope', label: 'Out of scope', required: 'Enter what is out of scope' },
  ],
  [
    'benefits.expected',
    { name: 'benefitsExpected', label: 'Expected benefits', required: 'Enter the benefits you expect' },
  ],
  [
    'benefits.successCriteria',
    { name: 'successCriteria', label: 'Success criteria', required: 'Enter how you will know it works' },
  ],
  [
    'benefits.baseline',
    { name: 'baseline', label: 'Baseline', required: 'Enter what is done today and how well' },
  ],
  [
    'decision.role',
    {
      name: 'decisionRole',
      label: 'Decision role',
      required: 'Select what role the tool plays in decisions',
    },
  ],
  [
    'decision.humanInvolvement',
    {
      name: 'humanInvolvement',
      label: 'Human involvement',
      required: 'Describe who reviews what the tool produces and how they can disagree with it',
    },
  ],
  [
    'decision.aboutIndividuals',
    {
      name: 'aboutIndividuals',
      label: 'Decisions about individuals',
      required: 'Select yes if the output feeds a decision about a particular person',
    },
  ],
  [
    'decision.significantDecision',
    {
      name: 'significantDecision',
      label: 'Significant decisions',
      required: 'Select yes if the decisions have legal or similarly significant effects',
    },
  ],
  [
    'decision.solelyAutomated',
    {
      name: 'solelyAutomated',
      label: 'Solely automated decisions',
      required: 'Select yes if some decisions are taken with no meaningful human involvement',
    },
  ],
  ['people.userGroups', { name: 'userGroups', label: 'Users', required: 'Enter who uses the tool' }],
  [
    'people.affectedGroups',
    { name: 'affectedGroups', label: 'Affected groups', required: 'Enter who is affected' },
  ],
  [
    'people.protectedCharacteristicsInScope',
    {
      name: 'protectedCharacteristics',
      label: 'Protected characteristics',
      required: 'Select the protected characteristics in scope',
    },
  ],
  [
    'people.publicFacing',
    {
      name: 'publicFacing',
      label: 'Public facing',
      required: 'Select yes if members of the public use the tool directly',
    },
  ],
  [
    'people.vulnerableUsers',
    {
      name: 'vulnerableUsers',
      label: 'Vulnerable people',
      required: 'Select yes if people who may be vulnerable use it or are affected by it',
    },
  ],
  [
    'people.children',
    { name: 'children', label: 'Children', required: 'Select yes if children are among the people affected' },
  ],
  ['technology.aiType', { name: 'aiType', label: 'Type of AI', required: 'Select the type of AI' }],
  [
    'technology.models.name',
    {
      name: 'modelName',
      label: 'Model',
      required: 'Enter the model’s name, or leave both model fields empty',
    },
  ],
  [
    'technology.models.provider',
    {
      name: 'modelProvider',
      label: 'Model provider',
      required: 'Enter the model’s provider, or leave both model fields empty',
    },
  ],
  [
    'data.personalData',
    {
      name: 'personalData',
      label: 'Personal data',
      required: 'Select yes if the tool processes personal data',
    },
  ],
  [
    'data.specialCategoryData',
    {
      name: 'specialCategoryData',
      label: 'Special category data',
      required: 'Select yes if the tool processes special category personal data',
    },
  ],
  [
    'data.specialCategoryCondition',
    {
      name: 'specialCategoryCondition',
      label: 'Article 9 condition',
      required: 'Enter the UK GDPR Article 9 condition relied on for special category data',
    },
  ],
  ['data.lawfulBasis', { name: 'lawfulBasis', label: 'Lawful basis', required: 'Enter the lawful basis' }],
];

const FIELD_BY_PATH = new Map(FIELDS);
const ORDER = new Map(FIELDS.map(([, field], index) => [field.name, index]));

export interface FormError {
  /** The form field (its input id), or null for a problem no field on the form holds. */
  field: string | null;
  text: string;
}

export interface ErrorSummaryItem {
  text: string;
  href?: string;
}

/** The options of the form's selects, radios and checkboxes, as GOV.UK macro items. */
export function formOptions() {
  const words = (value: string) => value.replace(/_/g, ' ');
  const capital = (value: string) => value.charAt(0).toUpperCase() + words(value).slice(1);
  return {
    domains: SERVICE_DOMAINS.map((value) => ({ value, text: capital(value) })),
    decisionRoles: DECISION_ROLES.map((value) => ({
      value,
      text: {
        assistive: 'It assists staff (drafting, summarising, searching)',
        recommends: 'It recommends a decision that a person takes',
        decides: 'It takes some decisions itself',
      }[value],
    })),
    protectedCharacteristics: PROTECTED_CHARACTERISTICS.map((value) => ({ value, text: capital(value) })),
    aiTypes: AI_TYPES.map((value) => ({ value, text: capital(value) })),
  };
}

const one = (values: FormValues, name: string): string => {
  const value = values[name];
  return (Array.isArray(value) ? (value[0] ?? '') : (value ?? '')).trim();
};
const many = (values: FormValues, name: string): string[] => {
  const value = values[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v) => v !== '');
};
const optional = (values: FormValues, name: string) => one(values, name) || undefined;
const lines = (values: FormValues, name: string) =>
  one(values, name)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
const yesNo = (values: FormValues, name: string) =>
  ({ yes: true, no: false })[one(values, name)] as boolean | undefined;

/** The posted form, keeping only the fields the form has (what the page shows again on an error). */
export function formValues(body: Record<string, unknown> | undefined): FormValues {
  const values: FormValues = {};
  for (const [, field] of FIELDS) {
    const value = body?.[field.name];
    if (typeof value === 'string') {
      // Checkboxes post a list; one ticked box arrives as a single value.
      values[field.name] = field.name === 'protectedCharacteristics' ? [value] : value;
    } else if (Array.isArray(value)) {
      values[field.name] = value.filter((v): v is string => typeof v === 'string');
    }
  }
  return values;
}

/** Builds the record from the form and checks it against the record schema. */
export function recordFromForm(
  values: FormValues,
): { record: AiUseCaseRecord; problems: [] } | { record: null; problems: FieldProblem[] } {
  const modelName = optional(values, 'modelName');
  const modelProvider = optional(values, 'modelProvider');
  const draft = {
    name: one(values, 'name'),
    summary: one(values, 'summary'),
    domain: optional(values, 'domain'),
    organisation: optional(values, 'organisation'),
    publicContactEmail: optional(values, 'publicContactEmail'),
    ownership: {
      seniorResponsibleOwner: { name: one(values, 'sroName'), role: one(values, 'sroRole') },
    },
    purpose: {
      problemStatement: one(values, 'problemStatement'),
      inScope: lines(values, 'inScope'),
      outOfScope: lines(values, 'outOfScope'),
    },
    benefits: {
      expected: one(values, 'benefitsExpected'),
      successCriteria: lines(values, 'successCriteria'),
      baseline: optional(values, 'baseline'),
    },
    decision: {
      role: optional(values, 'decisionRole'),
      humanInvolvement: one(values, 'humanInvolvement'),
      aboutIndividuals: yesNo(values, 'aboutIndividuals'),
      significantDecision: yesNo(values, 'significantDecision'),
      solelyAutomated: yesNo(values, 'solelyAutomated'),
    },
    people: {
      userGroups: lines(values, 'userGroups'),
      affectedGroups: lines(values, 'affectedGroups'),
      protectedCharacteristicsInScope: many(values, 'protectedCharacteristics'),
      vulnerableUsers: yesNo(values, 'vulnerableUsers'),
      children: yesNo(values, 'children'),
      publicFacing: yesNo(values, 'publicFacing'),
    },
    technology: {
      aiType: optional(values, 'aiType'),
      models: modelName || modelProvider ? [{ name: modelName ?? '', provider: modelProvider ?? '' }] : [],
    },
    data: {
      personalData: yesNo(values, 'personalData'),
      specialCategoryData: yesNo(values, 'specialCategoryData'),
      specialCategoryCondition: optional(values, 'specialCategoryCondition'),
      lawfulBasis: optional(values, 'lawfulBasis'),
      sources: [],
    },
  };
  const parsed = newAiUseCaseRecordSchema.safeParse(draft);
  if (!parsed.success) {
    return { record: null, problems: zodProblems(parsed.error, 'record') };
  }
  return { record: parsed.data as AiUseCaseRecord, problems: [] };
}

/**
 * One error per form field (the first problem found for it), in page order, worded for the page: the
 * field's own "Enter…"/"Select…" message when it was left empty, else its name and what is wrong.
 */
export function formErrors(problems: readonly FieldProblem[], values: FormValues): FormError[] {
  const errors = new Map<string, FormError>();
  const general: FormError[] = [];
  for (const problem of problems) {
    const path = problem.field.replace(/^record\./, '');
    // `purpose.inScope[2]` is line 3 of the in-scope box; `technology.models[0].name` is the model field.
    const line = /^[^[]+\[(\d+)\]$/.exec(path);
    const field = FIELD_BY_PATH.get(path.replace(/\[\d+\]/g, ''));
    if (!field) {
      general.push({ field: null, text: generalMessage(problem) });
      continue;
    }
    if (errors.has(field.name)) {
      continue;
    }
    const entered = values[field.name];
    const empty =
      entered === undefined || (typeof entered === 'string' ? entered.trim() === '' : !entered.length);
    const choice = ['invalid_type', 'invalid_value'].includes(problem.code ?? '');
    const text =
      empty || choice
        ? field.required
        : line
          ? `${field.label}, line ${Number(line[1]) + 1}, ${problem.message}`
          : `${field.label} ${problem.message}`;
    errors.set(field.name, { field: field.name, text });
  }
  const ordered = [...errors.values()].sort(
    (a, b) => (ORDER.get(a.field ?? '') ?? 0) - (ORDER.get(b.field ?? '') ?? 0),
  );
  return [...general, ...ordered];
}

function generalMessage(problem: FieldProblem): string {
  if (problem.field === 'ownerTeamId') {
    return 'You belong to no team: ask an administrator to add you to your service team before registering an AI use case';
  }
  return `${problem.field.replace(/^record\./, '')} ${problem.message}`;
}

/** The error summary's list: each error links to its field. */
export function errorSummary(errors: readonly FormError[]): ErrorSummaryItem[] {
  return errors.map((error) =>
    error.field ? { text: error.text, href: `#${error.field}` } : { text: error.text },
  );
}

/** Inline error messages by field name, for the macros' `errorMessage`. */
export function inlineErrors(errors: readonly FormError[]): Record<string, { text: string }> {
  return Object.fromEntries(errors.filter((e) => e.field).map((e) => [e.field, { text: e.text }]));
}
