import { ApiTokenRepository } from './api-token.repository';
import { EnrolmentRepository } from './enrolment.repository';
import { OidcSignInRepository } from './oidc-sign-in.repository';
import { TeamRepository } from './team.repository';
import { UserRepository } from './user.repository';
import { WebSessionRepository } from './web-session.repository';

export * from './api-token.repository';
export * from './enrolment.repository';
export * from './oidc-sign-in.repository';
export * from './team.repository';
export * from './user.repository';
export * from './web-session.repository';

export const IDENTITY_REPOSITORIES = [
  ApiTokenRepository,
  EnrolmentRepository,
  OidcSignInRepository,
  TeamRepository,
  UserRepository,
  WebSessionRepository,
] as const;
