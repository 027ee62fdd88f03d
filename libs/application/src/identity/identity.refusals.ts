import { DomainError, ENROLMENT_REFUSALS } from '@gatehouse/domain';

/** How identity changes are refused (codes the API and pages show). */
export const enrolmentRefused = (refusal: keyof typeof ENROLMENT_REFUSALS) =>
  new DomainError(
    'unauthenticated',
    ENROLMENT_REFUSALS[refusal],
    [{ field: 'token', message: ENROLMENT_REFUSALS[refusal], code: `enrolment_${refusal}` }],
    `enrolment_${refusal}`,
  );

export const teamNameTaken = (name: string) =>
  new DomainError('conflict', `A team called "${name}" already exists.`, [
    { field: 'name', message: 'is already taken', code: 'unique' },
  ]);

export const emailTaken = (email: string) =>
  new DomainError('conflict', `A user with the email "${email}" already exists.`, [
    { field: 'email', message: 'is already taken', code: 'unique' },
  ]);

export const userDisabled = () =>
  new DomainError('invalid_state', 'The user is disabled.', [], 'user_disabled');

export const lastActiveAdmin = () =>
  new DomainError(
    'conflict',
    'This is the last active admin: make another admin first.',
    [],
    'keep_one_admin',
  );

export const tokenInUse = () => new DomainError('conflict', 'This token is already in use.');

export const unknownTeam = () =>
  DomainError.validation([{ field: 'teamId', message: 'is not a known team', code: 'unknown_reference' }]);
