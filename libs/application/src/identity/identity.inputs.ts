import { type Role } from '@gatehouse/domain';

export interface CreateTeamInput {
  name: string;
  description?: string;
}

export interface CreateUserInput {
  name: string;
  email?: string;
  teamId?: string | null;
  roles: Role[];
}

export interface UpdateUserInput {
  name?: string;
  email?: string | null;
  teamId?: string | null;
  roles?: Role[];
  disabled?: boolean;
  reason?: string;
}

export interface IssueTokenInput {
  name: string;
  expiresInDays?: number;
}

export interface ExchangeEnrolmentInput {
  /** The one-time enrolment token an admin handed over. */
  token: string;
  tokenName?: string;
  expiresInDays?: number;
}
